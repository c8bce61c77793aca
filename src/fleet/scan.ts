/**
 * Fetches `/flux/info` from many nodes and classifies each reply. The fleet is
 * run by strangers: every node may be slow, broken or hostile, so each fetch
 * has one deadline for connect plus the whole body, a size cap, no redirects,
 * and a classification that never throws. One node's reply can only ever
 * change that node's result.
 */
import * as http from 'node:http';
import { REASON_CODES, type ReasonCode } from '../types';
import type { Target } from './targets';

/** What an answering node says about itself. */
export type NodeState = 'preprod' | 'production' | 'unknown';

/**
 * Why a node gave no usable answer. `aborted` marks nodes the scan did not
 * finish because its signal fired: that is our doing, not the node's.
 */
export type FailureKind =
  | 'timeout'
  | 'refused'
  | `http-${number}`
  | 'bad-json'
  | 'too-large'
  | 'error-envelope'
  | 'error'
  | 'aborted';

export type NodeKind = NodeState | FailureKind;

export interface NodeResult {
  host: string;
  port: number;
  kind: NodeKind;
  /** Milliseconds from the start of this node's fetch to its result. */
  ms: number;
  /** `flux.version`, when it is a string: printable ASCII only, truncated. */
  version?: string;
  /** `flux.preProd.branch`, when it is a string: printable ASCII only, truncated. */
  branch?: string;
  /** `flux.preProd.reason` when it is a known reason code, 'other' when a preprod/production node gives anything else. */
  reason?: ReasonCode | 'other';
  /** `flux.preProd.commit`, `.draw` and `.probability` when present: the history (docs/design.md §11) keeps them. */
  commit?: string;
  draw?: number;
  probability?: number;
  /** For failures: a short, sanitised detail (an error code, the error envelope's name). */
  detail?: string;
}

export interface ScanOptions {
  /** Fetches in flight at once. Default 256. */
  concurrency?: number;
  /** Deadline of one node: connect, headers and the whole body. Default 5000. */
  timeoutMs?: number;
  /** Body bytes read before the node counts as `too-large`. Default 1 MiB. */
  maxBytes?: number;
  /** Called after every node with the number done so far; exceptions from it are ignored. */
  onResult?: (done: number, total: number, result: NodeResult) => void;
  /** Stops the scan: fetches in flight are cut, nodes not yet asked are reported `aborted`. */
  signal?: AbortSignal;
}

export const SCAN_DEFAULTS = { concurrency: 256, timeoutMs: 5000, maxBytes: 1048576 } as const;

export const FAILURE_KINDS_FIXED: readonly FailureKind[] = [
  'timeout',
  'refused',
  'bad-json',
  'too-large',
  'error-envelope',
  'error',
  'aborted',
];

export function isNodeState(kind: NodeKind): kind is NodeState {
  return kind === 'preprod' || kind === 'production' || kind === 'unknown';
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
  return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

const KNOWN_REASONS: ReadonlySet<string> = new Set(REASON_CODES);

type Classified = Omit<NodeResult, 'host' | 'port' | 'ms'>;

/** Classifies a parsed `/flux/info` body. Pure and total: any JSON value in, a result out. */
export function classifyInfo(body: unknown): Classified {
  const status = own(body, 'status');
  const data = own(body, 'data');
  if (status === 'error') {
    const detail = cleanField(own(data, 'name')) ?? cleanField(own(data, 'code')) ?? cleanField(own(data, 'message'));
    return detail === undefined ? { kind: 'error-envelope' } : { kind: 'error-envelope', detail };
  }
  if (status !== 'success' || data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' };
  }
  const flux = own(data, 'flux');
  const preProdNode = own(flux, 'preProdNode');
  const preProd = own(flux, 'preProd');
  const result: Classified = { kind: preProdNode === true ? 'preprod' : preProdNode === false ? 'production' : 'unknown' };
  const version = cleanField(own(flux, 'version'));
  if (version !== undefined) result.version = version;
  if (result.kind !== 'unknown') {
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

class Outcome {
  constructor(readonly classified: Classified) {}
}

function failure(kind: FailureKind, detail?: string): Outcome {
  return new Outcome(detail === undefined ? { kind } : { kind, detail });
}

function errorCode(error: unknown): string | undefined {
  const code = own(error, 'code');
  return typeof code === 'string' ? code : undefined;
}

/** Maps a socket or parser error to a failure kind. */
function classifyError(error: unknown): Outcome {
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return failure('refused', code);
  return failure('error', cleanField(code ?? (error instanceof Error ? error.message : String(error))));
}

/**
 * Fan-out of one AbortSignal to the fetches in flight. One listener per scan:
 * a listener per fetch would pass EventTarget's leak warning threshold (10)
 * at any useful concurrency.
 */
class AbortHub {
  private readonly callbacks = new Set<() => void>();
  private fired = false;
  /** Removes the hub's listener from the signal once the scan is over. */
  detach: () => void = () => {};

  constructor(signal: AbortSignal | undefined) {
    if (!signal) return;
    const fire = (): void => {
      this.fired = true;
      for (const callback of [...this.callbacks]) callback();
    };
    if (signal.aborted) this.fired = true;
    else signal.addEventListener('abort', fire, { once: true });
    this.detach = () => signal.removeEventListener('abort', fire);
  }

  get aborted(): boolean {
    return this.fired;
  }

  add(callback: () => void): void {
    this.callbacks.add(callback);
  }

  delete(callback: () => void): void {
    this.callbacks.delete(callback);
  }
}

interface FetchOptions {
  timeoutMs: number;
  maxBytes: number;
  agent: http.Agent;
}

/** Fetches and classifies one node. Resolves exactly once; never rejects. */
export async function scanNode(target: Target, options: FetchOptions & { signal?: AbortSignal }): Promise<NodeResult> {
  const hub = new AbortHub(options.signal);
  try {
    return await fetchNode(target, options, hub);
  } finally {
    hub.detach();
  }
}

function fetchNode(target: Target, options: FetchOptions, hub: AbortHub): Promise<NodeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let req: http.ClientRequest | undefined;
    let res: http.IncomingMessage | undefined;

    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      hub.delete(onAbort);
      // Whatever the outcome, the socket goes: a slow or hostile node must not keep a descriptor.
      res?.destroy();
      req?.destroy();
      resolve({ host: target.host, port: target.port, ...outcome.classified, ms: Math.round(performance.now() - started) });
    };
    const onAbort = (): void => finish(failure('aborted'));
    const timer = setTimeout(() => finish(failure('timeout')), options.timeoutMs);

    if (hub.aborted) {
      finish(failure('aborted'));
      return;
    }
    hub.add(onAbort);

    try {
      req = http.request({
        host: target.host,
        port: target.port,
        path: '/flux/info',
        method: 'GET',
        agent: options.agent,
        headers: { accept: 'application/json', 'user-agent': 'fluxos-preprod-fleet', connection: 'close' },
      });
    } catch (error) {
      finish(classifyError(error));
      return;
    }
    req.on('error', (error) => finish(classifyError(error)));
    req.on('response', (response) => {
      res = response;
      response.on('error', (error) => finish(classifyError(error)));
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        finish(failure(`http-${status}`));
        return;
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        finish(failure('too-large', `content-length ${declared}`));
        return;
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        if (settled) return;
        bytes += chunk.length;
        if (bytes > options.maxBytes) {
          chunks.length = 0;
          finish(failure('too-large'));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        if (settled) return;
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks, bytes).toString('utf8'));
        } catch {
          finish(failure('bad-json'));
          return;
        }
        finish(new Outcome(classifyInfo(body)));
      });
      response.on('close', () => {
        if (!response.complete) finish(failure('error', 'connection closed mid-body'));
      });
    });
    req.end();
  });
}

/** A plain number option, or its default when absent; a bad value would otherwise hang or explode the scan. */
function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

/**
 * Scans every target with at most `concurrency` fetches in flight and returns
 * one result per target, in target order. Never rejects.
 */
export async function scanFleet(targets: readonly Target[], options: ScanOptions = {}): Promise<NodeResult[]> {
  const concurrency = positive(options.concurrency, SCAN_DEFAULTS.concurrency);
  const timeoutMs = positive(options.timeoutMs, SCAN_DEFAULTS.timeoutMs);
  const maxBytes = positive(options.maxBytes, SCAN_DEFAULTS.maxBytes);
  // No keep-alive: each node is asked once, so pooling only keeps idle sockets
  // (and descriptors) alive. maxTotalSockets backs the worker pool's bound.
  const agent = new http.Agent({ keepAlive: false, maxTotalSockets: concurrency, maxSockets: concurrency });
  const hub = new AbortHub(options.signal);
  const total = targets.length;
  const results: NodeResult[] = new Array(total);
  let next = 0;
  let done = 0;

  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next;
      next += 1;
      results[i] = await fetchNode(targets[i], { timeoutMs, maxBytes, agent }, hub);
      done += 1;
      try {
        options.onResult?.(done, total, results[i]);
      } catch {
        // A progress callback must not be able to break the scan.
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  } finally {
    hub.detach();
    agent.destroy();
  }
  return results;
}
