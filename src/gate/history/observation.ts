/**
 * What the history keeps about one node in one scan (docs/design.md §11), and
 * the compact change records a scan is stored as. Pure: no I/O, no clock.
 *
 * A node is `ip:port` as scanned. Per node and scan: whether it answered, the
 * failure kind when it did not, and when it did its version, commit, mode,
 * reason and cohort. A silent node keeps its last answered values, so a scan
 * stores only the nodes whose state changed.
 *
 * Health (docs/health.md): an answering node's signals as stored (encode.ts),
 * kept in its state and written, like the other fields, only when they change.
 * A degraded node (an error envelope) answered: it is recorded with the mode
 * and cohort its `/flux/preprod` gave and its degraded class in its health.
 */
import type { NodeResult } from '../../fleet/scan';
import { applyHealthChange, healthChange, type HealthChange, type StoredHealth } from '../../health/encode';

/** selected iff preProd.draw < preProd.probability, or the node says selected/crash-loop; unknown without preProd. */
export type Cohort = 'selected' | 'not-selected' | 'unknown';
/** The node's own answer to "am I on preprod" (flux.preProdNode): preprod, production, or absent (unknown). */
export type NodeMode = 'preprod' | 'production' | 'unknown';

export interface NodeObservation {
  node: string;
  answered: boolean;
  /** The scan's failure kind when the node did not answer. */
  failure: string | null;
  version: string | null;
  commit: string | null;
  mode: NodeMode | null;
  reason: string | null;
  cohort: Cohort;
  /** The node's health as stored this scan; absent or null when the scan read none (then the last known stays). */
  health?: StoredHealth | null;
}

/** A node's state after a scan: its last answered values, and whether this scan asked it and it answered. */
export interface NodeState {
  asked: boolean;
  answered: boolean;
  failure: string | null;
  version: string | null;
  commit: string | null;
  mode: NodeMode | null;
  reason: string | null;
  cohort: Cohort;
  /** The last health stored for the node (hysteresis and change records start from it); null before any. */
  health: StoredHealth | null;
  /** Answered in this scan or an earlier one. */
  everAnswered: boolean;
}

/**
 * One stored change: the node and only the fields that changed, under short
 * keys because a fleet of 13,000 nodes is recorded every hour: q asked (0/1),
 * a answered (0/1), f failure kind, v version, c commit, m mode, r reason,
 * k cohort (s selected, n not selected, u unknown); and the health keys of
 * encode.ts: h the signals' word, b boot minute, p provider, g country.
 */
export interface NodeChange extends HealthChange {
  n: string;
  q?: 0 | 1;
  a?: 0 | 1;
  f?: string | null;
  v?: string | null;
  c?: string | null;
  m?: NodeMode | null;
  r?: string | null;
  k?: 's' | 'n' | 'u';
}

export const EMPTY_STATE: Readonly<NodeState> = Object.freeze({
  asked: false,
  answered: false,
  failure: null,
  version: null,
  commit: null,
  mode: null,
  reason: null,
  cohort: 'unknown',
  health: null,
  everAnswered: false,
});

const COHORT_CODES: Record<Cohort, 's' | 'n' | 'u'> = { selected: 's', 'not-selected': 'n', unknown: 'u' };
const COHORT_OF_CODE: Record<'s' | 'n' | 'u', Cohort> = { s: 'selected', n: 'not-selected', u: 'unknown' };

export function cohortCode(cohort: Cohort): 's' | 'n' | 'u' {
  return COHORT_CODES[cohort];
}

export function cohortOfCode(code: 's' | 'n' | 'u'): Cohort {
  return COHORT_OF_CODE[code];
}

/** `ip:port`, with IPv6 addresses in brackets so the port stays unambiguous. */
export function nodeKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The cohort rule of docs/design.md §11 over what a node reported. */
export function cohortOf(result: Pick<NodeResult, 'kind' | 'reason' | 'draw' | 'probability'>): Cohort {
  if (result.kind !== 'preprod' && result.kind !== 'production') return 'unknown';
  if (result.reason === 'selected' || result.reason === 'crash-loop') return 'selected';
  if (typeof result.draw === 'number' && typeof result.probability === 'number') {
    return result.draw < result.probability ? 'selected' : 'not-selected';
  }
  // preProd fields without a draw: an opted-out node, a development node, a seed record.
  return 'not-selected';
}

/**
 * One scan result as the history keeps it, with its stored health (scanRecord.ts `observeScan` computes it: the
 * block lag needs the whole scan). A degraded node answered: its mode is the state `/flux/preprod` gave.
 */
/** A node that did not answer this scan: only the failure kind is known (its last answers stay in its state). */
export function silentObservation(node: string, failure: string): NodeObservation {
  return { node, answered: false, failure, version: null, commit: null, mode: null, reason: null, cohort: 'unknown' };
}

export function observeWithHealth(result: NodeResult, health: StoredHealth | null): NodeObservation {
  const node = nodeKey(result.host, result.port);
  if (result.kind === 'degraded') return observeWithHealth({ ...result, kind: result.state ?? 'unknown' }, health);
  const answered = result.kind === 'preprod' || result.kind === 'production' || result.kind === 'unknown';
  if (!answered) return silentObservation(node, result.kind);
  return {
    node,
    answered,
    failure: null,
    version: result.version ?? null,
    commit: result.commit ?? null,
    mode: result.kind as NodeMode,
    reason: result.reason ?? null,
    cohort: cohortOf(result),
    health,
  };
}

/** One scan result without its health (`results.map(observe)`: one argument, so an index is never a health). */
export function observe(result: NodeResult): NodeObservation {
  return observeWithHealth(result, null);
}

/** The state a node is in after `observation`, given its state before. */
export function nextState(before: Readonly<NodeState>, observation: NodeObservation): NodeState {
  if (!observation.answered) return { ...before, asked: true, answered: false, failure: observation.failure };
  return {
    asked: true,
    answered: true,
    failure: null,
    version: observation.version,
    commit: observation.commit,
    mode: observation.mode,
    reason: observation.reason,
    cohort: observation.cohort,
    health: observation.health ?? before.health,
    everAnswered: true,
  };
}

/** The change record from `before` to `after`; null when nothing changed. */
export function changeBetween(
  node: string,
  before: Readonly<NodeState>,
  after: Readonly<NodeState>,
): NodeChange | null {
  const change: NodeChange = { n: node };
  let changed = false;
  const set = <K extends keyof NodeChange>(key: K, value: NodeChange[K]): void => {
    change[key] = value;
    changed = true;
  };
  if (before.asked !== after.asked) set('q', after.asked ? 1 : 0);
  if (before.answered !== after.answered) set('a', after.answered ? 1 : 0);
  if (before.failure !== after.failure) set('f', after.failure);
  if (before.version !== after.version) set('v', after.version);
  if (before.commit !== after.commit) set('c', after.commit);
  if (before.mode !== after.mode) set('m', after.mode);
  if (before.reason !== after.reason) set('r', after.reason);
  if (before.cohort !== after.cohort) set('k', cohortCode(after.cohort));
  const health =
    after.health === null || after.health === before.health ? null : healthChange(before.health, after.health);
  if (health !== null) {
    Object.assign(change, health);
    changed = true;
  }
  return changed ? change : null;
}

/** Applies a stored change to a node's state. */
export function applyChange(before: Readonly<NodeState>, change: NodeChange): NodeState {
  const after: NodeState = { ...before };
  if (change.q !== undefined) after.asked = change.q === 1;
  if (change.a !== undefined) after.answered = change.a === 1;
  if (change.f !== undefined) after.failure = change.f;
  if (change.v !== undefined) after.version = change.v;
  if (change.c !== undefined) after.commit = change.c;
  if (change.m !== undefined) after.mode = change.m;
  if (change.r !== undefined) after.reason = change.r;
  if (change.k !== undefined) after.cohort = cohortOfCode(change.k);
  if (change.h !== undefined || change.b !== undefined || change.p !== undefined || change.g !== undefined)
    after.health = applyHealthChange(before.health, change);
  if (after.answered) after.everAnswered = true;
  return after;
}
