/** One scan's availability and uptake for the HTML charts, from the tracker's live counts. Pure. */
import type { NodeState } from '../history/observation';
import type { ScanRecord } from '../history/scanRecord';
import type { ScanPoint } from './evidenceTypes';

/** Counts of asked and answering nodes by cohort at the latest scan, kept up to date change by change. */
export interface Live {
  askedSelected: number;
  answeringSelected: number;
  onRelease: number;
  onReleasePreprod: number;
  askedNotSelected: number;
  answeringNotSelected: number;
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** One scan's availability and uptake, for the HTML charts. */
export function scanPoint(scan: ScanRecord, states: readonly NodeState[], live: Live): ScanPoint {
  const t = scan.totals;
  return {
    at: scan.at,
    preprodShare: ratio(t.preprod, t.preprod + t.production),
    uptake: ratio(live.onRelease, live.answeringSelected),
    crashLoops: states.filter((s) => s.answered && s.reason === 'crash-loop').length,
    availability: {
      selected: ratio(live.answeringSelected, live.askedSelected),
      notSelected: ratio(live.answeringNotSelected, live.askedNotSelected),
    },
  };
}
