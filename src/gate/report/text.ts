/**
 * The gate's terminal and JSON forms. The JSON is exactly
 * `{verdict, release: {version, commit}, criteria: [{name, met, value, threshold}]}`
 * (docs/design.md §8). Pure.
 */
import type { GateReport } from '../judge/gate';
import type { Criterion } from '../judge/verdict';
import { HALT_CRITERIA } from '../judge/verdict';

export function gateJson(report: GateReport): string {
  const out = {
    verdict: report.verdict,
    release: { version: report.release.version, commit: report.release.commit },
    criteria: report.criteria.map(({ name, met, value, threshold }) => ({ name, met, value, threshold })),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** What a criterion checks, in words, for the text and Markdown reports. */
export const CRITERION_WORDS: Record<string, string> = {
  'exposure.soak-hours': 'hours since the release reached preprod',
  'exposure.preprod-nodes': 'distinct preprod nodes that ran it',
  'exposure.node-hours': 'node-hours run on it',
  uptake: 'share of answering preprod nodes on it',
  'health.dark.upper': 'gone dark, release minus production: upper bound ≤ margin',
  'health.dark.lower': 'gone dark, release minus production: lower bound ≤ margin',
  'health.crash-loop.upper': 'crash-loop fallbacks: upper bound ≤ ceiling',
  'health.crash-loop.lower': 'crash-loop fallbacks: lower bound ≤ ceiling',
  'health.switch-fail.upper': 'switch failures: upper bound ≤ ceiling',
  'health.switch-fail.lower': 'switch failures: lower bound ≤ ceiling',
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
  return HALT_CRITERIA.has(criterion.name) ? 'HALT' : 'not yet';
}

export function releaseName(report: GateReport): string {
  const { version, commit } = report.release;
  if (version === null) return '(none)';
  return commit === null ? version : `${version} (${commit.slice(0, 12)})`;
}

export function verdictSentence(report: GateReport): string {
  const e = report.evidence;
  if (report.note !== null) return `wait: ${report.note}.`;
  if (report.verdict === 'halt')
    return 'halt: the evidence says the release is worse than allowed; set probability 0 or fix it.';
  if (report.verdict === 'inconclusive')
    return `inconclusive: watched ${formatValue(e.hoursSinceReached)} h without a promote or a halt; a person decides.`;
  if (report.verdict === 'promote')
    return 'promote: the release is not worse than production and has soaked long enough.';
  return `wait: ${formatValue(e.hoursSinceReached)} h on preprod; not enough evidence yet.`;
}

export function formatGateText(report: GateReport): string {
  const e = report.evidence;
  const lines = [
    `verdict:   ${report.verdict.toUpperCase()}  (${verdictSentence(report)})`,
    `release:   ${releaseName(report)}`,
    `judged at: ${e.at ?? '–'} (scan ${report.scans}); reached preprod ${e.reachedAt ?? 'never'}` +
      (e.supersededBy === null ? '' : `; superseded by ${e.supersededBy.version} at ${e.supersededBy.at}`),
    `nodes:     ${e.dark.release.nodes} selected on the release (${e.dark.release.dark} dark), ` +
      `${e.dark.baseline.nodes} production (${e.dark.baseline.dark} dark); ` +
      `${e.crashLoops.count} crash-loop fallbacks, ${e.switchFailures.count} switch failures`,
    '',
    `${'criterion'.padEnd(26)} ${'status'.padEnd(8)} ${'value'.padStart(9)} ${'threshold'.padStart(9)}  what`,
  ];
  for (const c of report.criteria) {
    const words = CRITERION_WORDS[c.name] ?? '';
    lines.push(
      `${c.name.padEnd(26)} ${criterionStatus(c).padEnd(8)} ${formatValue(c.value).padStart(9)} ` +
        `${formatValue(c.threshold).padStart(9)}  ${words}`,
    );
  }
  lines.push('', `confidence ${report.settings.confidence} one-sided; see docs/gate.md`);
  return `${lines.join('\n')}\n`;
}
