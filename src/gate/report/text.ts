/**
 * The gate's terminal and JSON forms (docs/gate-operations.md). The JSON keeps
 * `{verdict, release: {version, commit}, criteria: [{name, met, value, threshold}]}`
 * (docs/design.md §8) and adds the counts, times, estimates, gaps, blocking
 * criteria and supersession. Every string from a node or the history is made
 * terminal-safe before it is printed. Pure.
 */
import type { GateReport } from '../judge/gate';
import type { Criterion } from '../judge/verdict';
import { isHaltCriterion } from '../judge/verdict';
import { formatEstimate, formatHours, reportFacts, type ReportFacts, type ShownVerdict } from './facts';
import { MAX_SENTENCE, terminalSafe } from './safeText';
import { SIGNAL_CRITERION_WORDS, signalTextLines } from './signals';

/** The `--json` form (docs/gate-operations.md): also what `fleet watch` serves as /gate.json. */
export function gateJsonValue(report: GateReport): Record<string, unknown> {
  const e = report.evidence;
  const f = reportFacts(report);
  const t = report.totals;
  return {
    verdict: report.verdict,
    release: {
      version: report.release.version,
      commit: report.release.commit,
      ...(report.release.matched === undefined ? {} : { matched: report.release.matched }),
    },
    judgedAt: f.judgedAt,
    reachedAt: f.reachedAt,
    lastScanAgeHours: f.lastScanAgeHours,
    supersededBy: f.supersededBy,
    note: report.note,
    blocking: f.blocking,
    estimates: f.estimates,
    counts: {
      scans: report.scans,
      asked: t?.asked ?? null,
      answered: t?.answered ?? null,
      preprodNodes: e.preprodNodes,
      nodeHours: Math.round(e.nodeHours * 10) / 10,
      releaseNodes: e.dark.release.nodes,
      releaseDark: e.dark.release.dark,
      baselineNodes: e.dark.baseline.nodes,
      baselineDark: e.dark.baseline.dark,
      crashLoops: e.crashLoops.count,
      crashLoopOf: e.crashLoops.of,
      switchFailures: e.switchFailures.count,
      switchFailureOf: e.switchFailures.of,
    },
    darkByFailure: f.darkByFailure.map((d) => ({ failure: d.failure, count: d.count })),
    gaps: f.gaps,
    warnings: f.warnings,
    signals: report.signals ?? null,
    criteria: report.criteria.map(({ name, met, value, threshold }) => ({ name, met, value, threshold })),
  };
}

export function gateJson(report: GateReport): string {
  return `${JSON.stringify(gateJsonValue(report), null, 2)}\n`;
}

/** What a criterion checks, in words, for the text and Markdown reports. */
export const CRITERION_WORDS: Record<string, string> = {
  'exposure.soak-hours': 'hours since the release reached preprod',
  'exposure.preprod-nodes': 'distinct preprod nodes that ran it',
  'exposure.node-hours': 'node-hours run on it',
  uptake: 'share of answering preprod nodes on it',
  'health.dark.upper': 'gone dark, release minus production: upper bound ≤ margin',
  'health.dark.lower': 'gone dark, release minus production: lower bound ≤ halt margin',
  'health.dark.early.upper': 'gone dark within the first hours, release minus production: upper bound ≤ margin',
  'health.dark.arcane.lower': 'gone dark, ArcaneOS nodes only: lower bound ≤ halt margin',
  'health.dark.non-arcane.lower': 'gone dark, other nodes only: lower bound ≤ halt margin',
  'health.crash-loop.upper': 'crash-loop fallbacks: upper bound ≤ ceiling',
  'health.crash-loop.lower': 'crash-loop fallbacks: lower bound ≤ halt ceiling',
  'health.crash-loop.arcane.lower': 'crash-loop fallbacks, ArcaneOS nodes only: lower bound ≤ halt ceiling',
  'health.crash-loop.non-arcane.lower': 'crash-loop fallbacks, other nodes only: lower bound ≤ halt ceiling',
  'health.switch-fail.upper': 'switch failures: upper bound ≤ ceiling',
  'health.switch-fail.lower': 'switch failures: lower bound ≤ ceiling',
  ...SIGNAL_CRITERION_WORDS,
};

export function formatValue(value: number | null): string {
  if (value === null) return '–';
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  return String(Number(value.toFixed(Math.abs(value) >= 1 ? 1 : 4)));
}

/** "met", "not yet", or "HALT" for a halting criterion that is unmet. */
export function criterionStatus(criterion: Criterion): string {
  if (criterion.met) return 'met';
  return isHaltCriterion(criterion.name) ? 'HALT' : 'not yet';
}

export function releaseName(report: GateReport): string {
  const { version, commit } = report.release;
  if (version === null) return '(none)';
  return commit === null ? version : `${version} (${commit.slice(0, 12)})`;
}

/** One sentence per verdict, saying why; a `note` or supersession says more. Not yet escaped. */
export function verdictSentence(report: GateReport): string {
  const e = report.evidence;
  const verdict = report.verdict as ShownVerdict;
  if (report.note !== null) return `${verdict}: ${report.note}.`;
  const superseded = reportFacts(report).supersededBy;
  const after = superseded === null ? '' : ` It was superseded by ${superseded.version} at ${superseded.at}.`;
  if (verdict === 'halt')
    return `halt: the evidence says the release is worse than allowed; set probability 0 or fix it.${after}`;
  if (verdict === 'promote')
    return `promote: the release is not worse than production and has soaked long enough.${after}`;
  if (verdict === 'inconclusive')
    return `inconclusive: watched long enough without a promote or a halt; a person decides.${after}`;
  return `wait: ${formatValue(e.hoursSinceReached)} h on preprod; not enough evidence yet.${after}`;
}

/** Lines of the facts beyond the criteria, for the terminal. */
function factLines(f: ReportFacts): string[] {
  const lines: string[] = [];
  const { darkDifference: d, fallbackShare: s } = f.estimates;
  if (d !== null) lines.push(`dark diff: ${formatEstimate(d, d.margin, 'margin', true)}`);
  if (s !== null) lines.push(`fallbacks: ${formatEstimate(s, s.ceiling, 'ceiling', false)}`);
  if (f.lastScanAgeHours !== null) lines.push(`last scan: ${formatHours(f.lastScanAgeHours)} old`);
  for (const g of f.gaps)
    lines.push(`gap:       no scan from ${g.from} to ${g.to} (${formatHours(g.hours)}, not counted)`);
  if (f.darkByFailure.length > 0)
    lines.push(`dark now:  ${f.darkByFailure.map((k) => `${k.count} ${terminalSafe(k.failure)}`).join(', ')}`);
  for (const b of f.blocking)
    lines.push(
      `blocking:  ${terminalSafe(b.criterion)}: ${terminalSafe(b.why, MAX_SENTENCE)}; ` +
        terminalSafe(b.wouldChange, MAX_SENTENCE),
    );
  for (const w of f.warnings) lines.push(`warning:   ${terminalSafe(w, MAX_SENTENCE)}`);
  return lines;
}

export function formatGateText(report: GateReport): string {
  const e = report.evidence;
  const f = reportFacts(report);
  const superseded =
    f.supersededBy === null ? '' : `; superseded by ${terminalSafe(f.supersededBy.version)} at ${f.supersededBy.at}`;
  const lines = [
    `verdict:   ${report.verdict.toUpperCase()}  (${terminalSafe(verdictSentence(report), MAX_SENTENCE)})`,
    `release:   ${terminalSafe(releaseName(report))}`,
    `judged at: ${f.judgedAt ?? '–'} (scan ${report.scans}); reached preprod ${f.reachedAt ?? 'never'}${superseded}`,
    `nodes:     ${e.dark.release.nodes} selected on the release (${e.dark.release.dark} dark), ` +
      `${e.dark.baseline.nodes} production (${e.dark.baseline.dark} dark); ` +
      `${e.crashLoops.count} crash-loop fallbacks, ${e.switchFailures.count} switch failures`,
    ...factLines(f),
    ...signalTextLines(report),
    '',
    `${'criterion'.padEnd(26)} ${'status'.padEnd(8)} ${'value'.padStart(9)} ${'threshold'.padStart(9)}  what`,
  ];
  for (const c of report.criteria) {
    const words = CRITERION_WORDS[c.name] ?? '';
    lines.push(
      `${terminalSafe(c.name).padEnd(26)} ${criterionStatus(c).padEnd(8)} ${formatValue(c.value).padStart(9)} ` +
        `${formatValue(c.threshold).padStart(9)}  ${words}`,
    );
  }
  lines.push('', `confidence ${report.settings.confidence} one-sided; see docs/gate.md`);
  return `${lines.join('\n')}\n`;
}
