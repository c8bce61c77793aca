/**
 * A scan's health column on the reader's side (docs/gate-operations.md, "Health signals in the history"):
 * decoded once per record, and the node states it updates. Pure.
 */
import { applyHealthChange, decodeHealthColumn, isHealthWord, type StoredHealth } from '../../health/encode';
import type { NodeState } from './observation';

/** A scan's health column, decoded: kept per record so that the codec's check and each replay decode it once. */
const decodedColumns = new WeakMap<object, { pairs: [number, number][]; top: number }>();

/** The pairs of a column already decoded (by the codec's check), remembered for `scan`. */
export function rememberColumn(scan: object, pairs: [number, number][]): void {
  decodedColumns.set(scan, { pairs, top: pairs.reduce((top, [i]) => Math.max(top, i), -1) });
}

/** The scan's column entries; none when it has no column or names a node past `size` (the whole column is refused). */
export function columnOf(scan: { health?: string }, size: number): readonly [number, number][] {
  if (!scan.health) return [];
  let decoded = decodedColumns.get(scan);
  if (decoded === undefined) {
    rememberColumn(scan, decodeHealthColumn(scan.health, Number.POSITIVE_INFINITY) ?? []);
    decoded = decodedColumns.get(scan);
  }
  return decoded === undefined || decoded.top >= size ? [] : decoded.pairs;
}

/** A node's last known boot minute, provider and country. */
export function rareOf(health: StoredHealth | null): Pick<StoredHealth, 'bootMinute' | 'provider' | 'country'> {
  return {
    bootMinute: health?.bootMinute ?? null,
    provider: health?.provider ?? null,
    country: health?.country ?? null,
  };
}

/** `state` with `health`, built field by field: one object shape for every state (a spread is slower). */
export function withHealth(state: Readonly<NodeState>, health: StoredHealth): NodeState {
  return {
    asked: state.asked,
    answered: state.answered,
    failure: state.failure,
    version: state.version,
    commit: state.commit,
    mode: state.mode,
    reason: state.reason,
    cohort: state.cohort,
    health,
    everAnswered: state.everAnswered,
  };
}

/**
 * The health keys (docs/health.md): `h` a valid word; `b`, `p`, `g` values the reader would take. A value
 * `applyHealthChange` would pass over is refused here, so what is stored is what is judged.
 */
export function healthProblem(value: Record<string, unknown>): string | null {
  if ('h' in value && !isHealthWord(value.h)) return 'a change has a bad `h`';
  for (const key of ['b', 'p', 'g'] as const) {
    if (!(key in value)) continue;
    const taken = applyHealthChange(null, { h: 0, [key]: value[key] });
    const kept = key === 'b' ? taken?.bootMinute : key === 'p' ? taken?.provider : taken?.country;
    if (kept !== value[key]) return `a change has a bad \`${key}\``;
  }
  return null;
}
