/**
 * The simulated nodes' platform (docs/gate.md, "Validation by simulation"):
 * 30% of nodes run ArcaneOS. Which ones is a fixed hash of the node's index,
 * not a draw from the run's random stream, so adding the platform left every
 * other draw of a seeded run as it was. A scan carries the platform as real
 * histories do: the ArcaneOS bit of the node's stored health word, in the
 * scan's health column. Pure.
 */
import { encodeHealthColumn, type StoredHealth, unknownHealth } from '../../health/encode';
import type { NodeChange } from '../history/observation';

export const ARCANE_SHARE = 0.3;

/** Whether node `i` runs ArcaneOS: a multiplicative hash of its index, uniform enough over 2,000+ nodes. */
export function isArcaneNode(i: number): boolean {
  return (Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32 < ARCANE_SHARE;
}

/** One shared health per platform: a node's health object stays the same from scan to scan, so no change. */
export const PLATFORM_HEALTH: readonly [StoredHealth, StoredHealth] = [unknownHealth(false), unknownHealth(true)];

/**
 * Moves the changes' health words into a column keyed by the node's index, as the recorder does (the
 * simulated table's index of a node is its index in the fleet).
 */
export function withHealthColumn(changes: readonly (readonly [number, NodeChange])[]): {
  changes: NodeChange[];
  health?: string;
} {
  const records: NodeChange[] = [];
  const column: [number, number][] = [];
  for (const [index, change] of changes) {
    const { h, ...record } = change;
    if (h !== undefined) column.push([index, h]);
    if (h === undefined || Object.keys(record).length > 1) records.push(record);
  }
  return column.length === 0 ? { changes: records } : { changes: records, health: encodeHealthColumn(column) };
}
