/**
 * Which time the scans cover (docs/gate.md, "Fresh and complete evidence"):
 * the time between two scans counts as watched only when it is at most
 * `maxScanGapHours`; a longer stretch is a gap, shown as one and never counted
 * as soak or node-hours. Pure: scan times in, hours out.
 */
import type { Gap } from '../report/timeline';

const MS_PER_HOUR = 3_600_000;

/** Hours between two scans that count as watched: all of them, or none for a gap. */
export function watchedHours(fromMs: number, toMs: number, maxScanGapHours: number): number {
  const hours = (toMs - fromMs) / MS_PER_HOUR;
  return hours > maxScanGapHours ? 0 : hours;
}

export function gapBetween(fromMs: number, toMs: number, maxScanGapHours: number): Gap | null {
  const hours = (toMs - fromMs) / MS_PER_HOUR;
  if (hours <= maxScanGapHours) return null;
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), hours: round2(hours) };
}

/** Scans at or after `nowMs − 24 h` among `timesMs` (ascending). */
export function scansInLastDay(timesMs: readonly number[], nowMs: number): number {
  const since = nowMs - 24 * MS_PER_HOUR;
  let low = 0;
  let high = timesMs.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (timesMs[mid] < since) low = mid + 1;
    else high = mid;
  }
  return timesMs.length - low;
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
