/**
 * The Markdown report for the preprod → master pull request: verdict,
 * criteria table, counts, and the nodes that fell back. Every value that came
 * from a node (versions, commits, node names) is escaped so a hostile node
 * cannot inject Markdown or HTML into the pull request. Pure.
 */
import type { GateReport } from '../judge/gate';
import { CRITERION_WORDS, criterionStatus, formatValue, releaseName, verdictSentence } from './text';

/** Shown nodes that fell back; the rest are counted. */
export const MAX_LISTED_NODES = 50;

/** Text safe inside a Markdown table cell: no HTML, no pipes, no emphasis or links, one line. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/[\\`*_{}[\]()#+!|<>~&]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const VERDICT_MARK: Record<GateReport['verdict'], string> = {
  promote: '✅ PROMOTE',
  halt: '🛑 HALT',
  wait: '⏳ WAIT',
  inconclusive: '❔ INCONCLUSIVE',
};

function criteriaTable(report: GateReport): string[] {
  const rows = ['| criterion | status | value | threshold | what it checks |', '| --- | --- | ---: | ---: | --- |'];
  for (const c of report.criteria) {
    const words = CRITERION_WORDS[c.name] ?? '';
    rows.push(
      `| \`${c.name}\` | ${criterionStatus(c)} | ${formatValue(c.value)} | ${formatValue(c.threshold)} | ${words} |`,
    );
  }
  return rows;
}

function countsTable(report: GateReport): string[] {
  const e = report.evidence;
  const t = report.totals;
  const rows = ['| count | value |', '| --- | ---: |'];
  const add = (label: string, value: number | string | null) => rows.push(`| ${label} | ${value ?? '–'} |`);
  add('scans recorded up to this one', report.scans);
  add('nodes asked in the latest scan', t?.asked ?? null);
  add(
    'answered (preprod / production / unknown)',
    t ? `${t.answered} (${t.preprod} / ${t.production} / ${t.unknown})` : null,
  );
  add('preprod-selected nodes that ran the release', e.preprodNodes);
  add('node-hours on the release', Math.round(e.nodeHours));
  add('release nodes gone dark', `${e.dark.release.dark} of ${e.dark.release.nodes}`);
  add('production nodes gone dark', `${e.dark.baseline.dark} of ${e.dark.baseline.nodes}`);
  add('crash-loop fallbacks', `${e.crashLoops.count} of ${e.crashLoops.of}`);
  add('switch failures', `${e.switchFailures.count} of ${e.switchFailures.of}`);
  return rows;
}

function fellBackList(report: GateReport): string[] {
  const fell = report.evidence.fellBack;
  if (fell.length === 0) return ['No node fell back.'];
  const rows = ['| node | reason | first seen |', '| --- | --- | --- |'];
  for (const f of fell.slice(0, MAX_LISTED_NODES)) rows.push(`| ${escapeMarkdown(f.node)} | ${f.reason} | ${f.at} |`);
  if (fell.length > MAX_LISTED_NODES) rows.push('', `…and ${fell.length - MAX_LISTED_NODES} more.`);
  return rows;
}

export function gateMarkdown(report: GateReport): string {
  const e = report.evidence;
  const lines = [
    `## Preprod gate: ${VERDICT_MARK[report.verdict]}`,
    '',
    `**Release** ${escapeMarkdown(releaseName(report))} · judged at ${e.at ?? '–'} · ` +
      `reached preprod ${e.reachedAt ?? 'never'}`,
    '',
    escapeMarkdown(verdictSentence(report)),
    '',
    '### Criteria',
    '',
    ...criteriaTable(report),
    '',
    `Bounds are one-sided at ${report.settings.confidence} confidence (docs/gate.md).`,
    '',
    '### Counts',
    '',
    ...countsTable(report),
    '',
    '### Nodes that fell back',
    '',
    ...fellBackList(report),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
