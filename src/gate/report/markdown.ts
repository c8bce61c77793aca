/**
 * The Markdown report for the preprod → master pull request and a CI job
 * summary: verdict, estimates with their bounds, why it waits, criteria,
 * counts, gaps, nodes gone dark by failure kind and the nodes that fell back.
 * Every string from a node or the history goes through markdownSafe (no link,
 * image, mention, HTML or new line can come from a node); times are canonical
 * ISO. Pure.
 */
import type { GateReport } from '../judge/gate';
import { formatEstimate, formatHours, reportFacts, type ReportFacts, type ShownVerdict } from './facts';
import { isoTime, MAX_SENTENCE, markdownSafe } from './safeText';
import { signalMarkdown } from './signals';
import { CRITERION_WORDS, criterionStatus, formatValue, releaseName, verdictSentence } from './text';

/** Shown nodes that fell back; the rest are counted. */
export const MAX_LISTED_NODES = 50;

/** Text safe inside a Markdown table cell (kept under its old name for callers). */
export const escapeMarkdown = markdownSafe;

const VERDICT_MARK: Record<ShownVerdict, string> = {
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

function estimatesTable(f: ReportFacts): string[] {
  const { darkDifference: d, fallbackShare: s } = f.estimates;
  if (d === null && s === null) return [];
  const rows = ['### Estimates', '', '| number | estimate [interval] (limit) |', '| --- | --- |'];
  if (d !== null) rows.push(`| gone dark, release minus production | ${formatEstimate(d, d.margin, 'margin', true)} |`);
  if (s !== null) rows.push(`| crash-loop fallback share | ${formatEstimate(s, s.ceiling, 'ceiling', false)} |`);
  return [...rows, ''];
}

function blockingTable(f: ReportFacts): string[] {
  if (f.blocking.length === 0) return [];
  const rows = ['### What it waits for', '', '| criterion | why | what would change it |', '| --- | --- | --- |'];
  for (const b of f.blocking)
    rows.push(
      `| ${markdownSafe(b.criterion)} | ${markdownSafe(b.why, MAX_SENTENCE)} | ` +
        `${markdownSafe(b.wouldChange, MAX_SENTENCE)} |`,
    );
  return [...rows, ''];
}

function gapsTable(f: ReportFacts): string[] {
  if (f.gaps.length === 0) return [];
  const rows = ['### Gaps in the scans (not counted as soak)', '', '| from | to | hours |', '| --- | --- | ---: |'];
  for (const g of f.gaps) rows.push(`| ${isoTime(g.from)} | ${isoTime(g.to)} | ${formatValue(g.hours)} |`);
  return [...rows, ''];
}

function darkTable(f: ReportFacts): string[] {
  if (f.darkByFailure.length === 0) return [];
  const rows = ['### Release nodes gone dark, by failure kind', '', '| failure | nodes | first nodes |'];
  rows.push('| --- | ---: | --- |');
  for (const k of f.darkByFailure) {
    const shown = k.nodes.slice(0, 5).map(markdownSafe).join(', ') + (k.nodes.length > 5 ? ', …' : '');
    rows.push(`| ${markdownSafe(k.failure)} | ${k.count} | ${shown} |`);
  }
  return [...rows, ''];
}

function fellBackList(report: GateReport): string[] {
  const fell = report.evidence.fellBack;
  if (fell.length === 0) return ['No node fell back.'];
  const rows = ['| node | reason | first seen |', '| --- | --- | --- |'];
  for (const f of fell.slice(0, MAX_LISTED_NODES))
    rows.push(`| ${markdownSafe(f.node)} | ${markdownSafe(f.reason)} | ${isoTime(f.at)} |`);
  if (fell.length > MAX_LISTED_NODES) rows.push('', `…and ${fell.length - MAX_LISTED_NODES} more.`);
  return rows;
}

function headLines(report: GateReport, f: ReportFacts): string[] {
  const superseded =
    f.supersededBy === null
      ? []
      : [`**Superseded** by ${markdownSafe(f.supersededBy.version)} at ${f.supersededBy.at}.`, ''];
  const age = f.lastScanAgeHours === null ? '' : ` · last scan ${formatHours(f.lastScanAgeHours)} old`;
  return [
    `## Preprod gate: ${VERDICT_MARK[report.verdict as ShownVerdict]}`,
    '',
    `**Release** ${markdownSafe(releaseName(report))} · judged at ${f.judgedAt ?? '–'} · ` +
      `reached preprod ${f.reachedAt ?? 'never'}${age}`,
    '',
    ...superseded,
    markdownSafe(verdictSentence(report), MAX_SENTENCE),
    '',
    ...f.warnings.map((w) => `> ⚠️ ${markdownSafe(w, MAX_SENTENCE)}\n`),
  ];
}

export function gateMarkdown(report: GateReport): string {
  const f = reportFacts(report);
  const lines = [
    ...headLines(report, f),
    ...estimatesTable(f),
    ...blockingTable(f),
    ...signalMarkdown(report),
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
    ...gapsTable(f),
    ...darkTable(f),
    '### Nodes that fell back',
    '',
    ...fellBackList(report),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
