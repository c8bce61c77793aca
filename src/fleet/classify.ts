/**
 * What a node's `/flux/info` reply means: the result types of a fleet scan
 * and the rules that turn reply bytes into a result. Pure: no I/O, no clock.
 * The bytes come from strangers, so every rule here is total (any input
 * gives a result, nothing throws) and bounded (its cost is checked before
 * the expensive step, see docs/design.md §7).
 */
import { degradedSignals, readSignals, type HealthSignals } from '../health/signals';
import { REASON_CODES, type ReasonCode } from '../types';

/** What an answering node says about itself. */
export type NodeState = 'preprod' | 'production' | 'unknown';

/**
 * A node that answered with FluxOS's error envelope: FluxOS runs, one of its
 * components failed (docs/health.md). Answered, not dark; the history still
 * records it apart from the states until the gate judges it (see
 * src/health/signals.ts).
 */
export type Degraded = 'degraded';

/**
 * Why a node gave no usable answer. `aborted` marks nodes the scan did not
 * finish because its signal fired: that is our doing, not the node's.
 */
export type FailureKind = 'timeout' | 'refused' | `http-${number}` | 'bad-json' | 'too-large' | 'error' | 'aborted';

export type NodeKind = NodeState | Degraded | FailureKind;

export interface NodeResult {
  host: string;
  port: number;
  kind: NodeKind;
  /** Milliseconds from the start of this node's fetch to its result, parsing included. */
  ms: number;
  /** `flux.version`, when it is a string: printable ASCII only, truncated. */
  version?: string;
  /** `flux.preProd.branch`, when it is a string: printable ASCII only, truncated. */
  branch?: string;
  /** `flux.preProd.reason` when a known reason code, 'other' when a preprod/production node gives anything else. */
  reason?: ReasonCode | 'other';
  /** `flux.preProd.commit`, `.draw` and `.probability` when present: the history (docs/design.md §11) keeps them. */
  commit?: string;
  draw?: number;
  probability?: number;
  /** For failures: a short, sanitised detail (an error code, the error envelope's name). */
  detail?: string;
  /**
   * For a degraded node: what `/flux/preprod` says it is (preprod, production, unknown), when the node
   * has that route; its version, branch, reason and commit above come from there too.
   */
  state?: NodeState;
  /** Health signals (src/health/signals.ts) of an answering or degraded node. */
  health?: HealthSignals;
}

/** A result without the node's address and timing: what the reply alone decides. */
export type Classified = Omit<NodeResult, 'host' | 'port' | 'ms'>;

export const FAILURE_KINDS_FIXED: readonly FailureKind[] = [
  'timeout',
  'refused',
  'bad-json',
  'too-large',
  'error',
  'aborted',
];

/**
 * Deepest JSON nesting accepted. A real `/flux/info` nests about eight levels
 * (data.apps → app → compose → component → …); parsing a reply nested
 * hundreds of thousands deep costs V8 hundreds of milliseconds.
 */
export const MAX_JSON_DEPTH = 64;

export function isNodeState(kind: NodeKind): kind is NodeState {
  return kind === 'preprod' || kind === 'production' || kind === 'unknown';
}

/** Whether a node answered at all: with its state, or degraded (an error envelope). */
export function isAnswered(kind: NodeKind): kind is NodeState | Degraded {
  return isNodeState(kind) || kind === 'degraded';
}

export function failure(kind: FailureKind, detail?: string): Classified {
  return detail === undefined ? { kind } : { kind, detail };
}

const MAX_FIELD = 64;

/** Keeps a stranger's string short and free of control or terminal escape characters. */
export function cleanField(value: unknown, max = MAX_FIELD): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Slice before cleaning so a megabyte of garbage costs a slice, not a regex over a megabyte.
  return value.slice(0, max).replace(/[^\x20-\x7e]/g, '?');
}

function own(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

const KNOWN_REASONS: ReadonlySet<string> = new Set(REASON_CODES);

/** Classifies a parsed `/flux/info` body. Total: any JSON value in, a result out. */
export function classifyInfo(body: unknown): Classified {
  const status = own(body, 'status');
  const data = own(body, 'data');
  if (status === 'error') {
    const detail = cleanField(own(data, 'name')) ?? cleanField(own(data, 'code')) ?? cleanField(own(data, 'message'));
    const degraded: Classified = { kind: 'degraded', health: degradedSignals(data) };
    if (detail !== undefined) degraded.detail = detail;
    return degraded;
  }
  if (status !== 'success' || data === null || typeof data !== 'object' || Array.isArray(data)) {
    return failure('bad-json', 'not a FluxOS success or error envelope');
  }
  const flux = own(data, 'flux');
  const preProdNode = own(flux, 'preProdNode');
  const preProd = own(flux, 'preProd');
  const kind = preProdNode === true ? 'preprod' : preProdNode === false ? 'production' : 'unknown';
  const result: Classified = { kind, health: readSignals(data) };
  const version = cleanField(own(flux, 'version'));
  if (version !== undefined) result.version = version;
  if (kind !== 'unknown') {
    const branch = cleanField(own(preProd, 'branch'));
    if (branch !== undefined) result.branch = branch;
    const reason = own(preProd, 'reason');
    result.reason = typeof reason === 'string' && KNOWN_REASONS.has(reason) ? (reason as ReasonCode) : 'other';
    const commit = cleanField(own(preProd, 'commit'));
    if (commit !== undefined) result.commit = commit;
    for (const key of ['draw', 'probability'] as const) {
      const value = own(preProd, key);
      if (typeof value === 'number' && Number.isFinite(value)) result[key] = value;
    }
  }
  return result;
}

/** The package's cheap route (docs/health.md): its fields and FluxOS's version, no FluxOS component asked. */
export const PREPROD_PATH = '/flux/preprod';

/**
 * A degraded node's result completed by its `/flux/preprod` answer: the state,
 * version, branch, reason, commit and boot time the cheap route reports. When
 * that route gave no state (an older recipe: 404; or no answer in time) the
 * degraded result stays as it was: answered, state unknown.
 */
export function withPreprodRoute(degraded: Classified, cheap: Classified): Classified {
  if (degraded.kind !== 'degraded' || !isNodeState(cheap.kind)) return degraded;
  const { kind, health, detail: _ignored, ...fields } = cheap;
  const merged: Classified = { ...degraded, ...fields, state: kind };
  if (degraded.health && health) merged.health = { ...degraded.health, bootedAt: health.bootedAt };
  return merged;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether the JSON text in `bytes` nests no deeper than `max` arrays and
 * objects. One pass over the bytes, no allocation: it runs before
 * JSON.parse so that a deeply nested reply never reaches the parser. Brackets
 * inside strings do not count; the text need not be valid JSON (the parser
 * judges that).
 */
export function nestingWithin(bytes: Uint8Array, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      depth += 1;
      if (depth > max) return false;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth -= 1;
    }
  }
  return true;
}

/** Classifies the complete body of an HTTP 200 reply: nesting checked first, then parsed, then read. */
export function classifyBody(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): Classified {
  if (!nestingWithin(bytes, maxDepth)) return failure('bad-json', `nested deeper than ${maxDepth} levels`);
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return failure('bad-json');
  }
  return classifyInfo(body);
}

/**
 * Whether a reply that was complete `arrivedMs` after its fetch started, and
 * took `parseMs` to classify, is inside a deadline of `timeoutMs`: parsing
 * counts against the node's own deadline. A reply first seen after the
 * deadline is one that arrived while the event loop was busy elsewhere (a
 * node's deadline timer runs before a later loop turn could read its reply,
 * see scan.ts): the wait was not the node's doing, so it counts as in time;
 * the size cap and the nesting check keep its parse short.
 */
export function withinDeadline(arrivedMs: number, parseMs: number, timeoutMs: number): boolean {
  if (arrivedMs > timeoutMs) return true;
  return arrivedMs + parseMs <= timeoutMs + PARSE_GRACE_MS;
}

/**
 * Parse time past the deadline that no reply is refused for: a capped,
 * depth-checked reply parses in well under a millisecond, and a clock tick or
 * a garbage collection landing inside the parse must not decide the result.
 */
export const PARSE_GRACE_MS = 5;

/** Maps a socket or parser error to a failure. */
export function classifyError(error: unknown): Classified {
  const code = own(error, 'code');
  if (code === 'ECONNREFUSED') return failure('refused', code);
  const text = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return failure('error', cleanField(text));
}
