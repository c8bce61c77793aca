/**
 * What every report form shows beyond the criteria (issue 17, "reports a
 * release manager can check"), taken from a GateReport once so that text,
 * JSON, Markdown and HTML agree: point estimates with their bounds, the last
 * scan's age, gaps, blocking criteria, supersession and the nodes that went
 * dark by failure kind. Fields the judge did not fill are absent, never
 * invented. Pure.
 */
import type { GateReport } from '../judge/gate';
import type { Estimate, Gap } from './timeline';
import { isoTime } from './safeText';

/** Every verdict a report can show; `inconclusive` is the judge's "a person decides" (issue 17 §5). */
export type ShownVerdict = GateReport['verdict'] | 'inconclusive';
export const SHOWN_VERDICTS: readonly ShownVerdict[] = ['promote', 'halt', 'wait', 'inconclusive'];

export interface Estimates {
  /** Dark share of release nodes minus production's, with its interval, against `margin`. */
  darkDifference: (Estimate & { margin: number }) | null;
  /** Crash-loop fallback share, with its interval, against `ceiling`. */
  fallbackShare: (Estimate & { ceiling: number }) | null;
}

export interface DarkKind {
  failure: string;
  count: number;
  nodes: string[];
}

export interface ReportFacts {
  judgedAt: string | null;
  reachedAt: string | null;
  lastScanAgeHours: number | null;
  estimates: Estimates;
  gaps: Gap[];
  blocking: { criterion: string; why: string; wouldChange: string }[];
  supersededBy: { version: string; commit: string | null; at: string; nodes: number | null } | null;
  darkByFailure: DarkKind[];
  warnings: string[];
}

function criterionValue(report: GateReport, name: string): number | null {
  return report.criteria.find((c) => c.name === name)?.value ?? null;
}

function criterionThreshold(report: GateReport, name: string): number | null {
  return report.criteria.find((c) => c.name === name)?.threshold ?? null;
}

/** From the judge's timeline when there is one; else from the counts and the criteria's bounds. */
function estimatesOf(report: GateReport): Estimates {
  const last = report.timeline && report.timeline.length > 0 ? report.timeline[report.timeline.length - 1] : null;
  if (last !== null) {
    return {
      darkDifference: last.darkDifference === null ? null : { ...last.darkDifference, margin: last.darkMargin },
      fallbackShare: last.fallbackShare === null ? null : { ...last.fallbackShare, ceiling: last.fallbackCeiling },
    };
  }
  const { dark, crashLoops } = report.evidence;
  const bounds = (prefix: string, estimate: number | null) => {
    const low = criterionValue(report, `${prefix}.lower`);
    const high = criterionValue(report, `${prefix}.upper`);
    const limit = criterionThreshold(report, `${prefix}.upper`);
    if (estimate === null || low === null || high === null || limit === null) return null;
    return { estimate, low, high, limit };
  };
  const share = (n: number, of: number) => (of > 0 ? n / of : null);
  const r = share(dark.release.dark, dark.release.nodes);
  const b = share(dark.baseline.dark, dark.baseline.nodes);
  const d = bounds('health.dark', r === null || b === null ? null : r - b);
  const f = bounds('health.crash-loop', share(crashLoops.count, crashLoops.of));
  return {
    darkDifference: d === null ? null : { estimate: d.estimate, low: d.low, high: d.high, margin: d.limit },
    fallbackShare: f === null ? null : { estimate: f.estimate, low: f.low, high: f.high, ceiling: f.limit },
  };
}

function darkByFailureOf(report: GateReport): DarkKind[] {
  return (report.darkNodes ?? [])
    .map((d) => ({ failure: d.failure, count: d.nodes.length, nodes: d.nodes }))
    .sort((a, b) => b.count - a.count || (a.failure < b.failure ? -1 : 1));
}

export function reportFacts(report: GateReport): ReportFacts {
  const e = report.evidence;
  const s: { version: string; commit?: string | null; at: string; nodes?: number } | null =
    report.supersededBy ?? e.supersededBy ?? null;
  return {
    judgedAt: e.at === null ? null : isoTime(e.at),
    reachedAt: (report.reachedAt ?? e.reachedAt) === null ? null : isoTime(report.reachedAt ?? e.reachedAt),
    lastScanAgeHours: report.lastScanAgeHours ?? null,
    estimates: estimatesOf(report),
    gaps: report.gaps ?? [],
    blocking: report.blocking ?? [],
    supersededBy:
      s === null
        ? null
        : {
            version: s.version,
            commit: s.commit ?? null,
            at: isoTime(s.at),
            nodes: s.nodes ?? null,
          },
    darkByFailure: darkByFailureOf(report),
    warnings: report.warnings ?? [],
  };
}

/** `12.3 h`, `4.1 d` from hours. */
export function formatHours(hours: number): string {
  return hours >= 48 ? `${(hours / 24).toFixed(1)} d` : `${hours.toFixed(1)} h`;
}

/** `1.23%` of a share, signed when asked. */
export function formatShare(share: number, signed = false): string {
  const text = `${(share * 100).toFixed(2)}%`;
  return signed && share > 0 ? `+${text}` : text;
}

/** `+0.40% [−0.10%, +0.90%] (margin 2.00%)` */
export function formatEstimate(e: Estimate, limit: number, limitName: string, signed: boolean): string {
  const interval = `[${formatShare(e.low, signed)}, ${formatShare(e.high, signed)}]`;
  return `${formatShare(e.estimate, signed)} ${interval} (${limitName} ${formatShare(limit)})`;
}
