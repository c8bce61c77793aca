/**
 * The HTML report: one self-contained page (inline CSS and SVG, no script, a
 * Content-Security-Policy that forbids every fetch) with the verdict, the
 * estimates with their bounds, what it waits for, charts of the decisive
 * numbers and of the fleet over time (gaps shown as gaps), the criteria, the
 * counts, the gaps, the nodes gone dark by failure kind and the nodes that
 * fell back. Every string from a node or the history goes through htmlSafe;
 * times are canonical ISO. Pure.
 */
import type { GateReport } from '../judge/gate';
import { formatEstimate, formatHours, reportFacts, type ReportFacts, type ShownVerdict } from './facts';
import { decisiveCharts, scanCharts } from './htmlCharts';
import { MAX_LISTED_NODES } from './markdown';
import { htmlSafe, isoTime, MAX_SENTENCE } from './safeText';
import { signalHtml } from './signals';
import { CRITERION_WORDS, criterionStatus, formatValue, releaseName, verdictSentence } from './text';

export const VERDICT_COLORS: Record<ShownVerdict, string> = {
  promote: '#1a7f37',
  halt: '#cf222e',
  wait: '#9a6700',
  inconclusive: '#6e7781',
};

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 16px 24px; max-width: 1120px; color: #1f2328; }
h1 { font-size: 22px; margin: 8px 0; } h2 { font-size: 17px; margin: 22px 0 8px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 6px; color: #fff; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d0d7de; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 12px; }
svg.chart { width: 100%; height: auto; border: 1px solid #d0d7de; border-radius: 6px; background: #fff; }
svg .grid { stroke: #eaeef2; } svg .frame { fill: none; stroke: #d0d7de; }
svg .marker { stroke: #8c959f; stroke-dasharray: 4 3; } svg .limit { stroke: #cf222e; stroke-dasharray: 6 3; }
svg .gap { fill: #eaeef2; }
svg .tick, svg .legend { font: 11px system-ui, sans-serif; fill: #57606a; }
svg .title { font: 600 13px system-ui, sans-serif; }
.HALT { color: #cf222e; font-weight: 600; } .muted { color: #57606a; } .warning { color: #9a6700; }`;

const row = (cells: string[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;

function table(head: string[], rows: string[][], id?: string): string {
  const body = rows.map((r) => row(r)).join('');
  return `<table${id ? ` id="${id}"` : ''}><thead>${row(head, 'th')}</thead><tbody>${body}</tbody></table>`;
}

function criteriaTable(report: GateReport): string {
  const rows = report.criteria.map((c) => {
    const status = criterionStatus(c);
    return (
      `<tr><td><code>${htmlSafe(c.name)}</code></td><td class="${status === 'HALT' ? 'HALT' : ''}">${status}</td>` +
      `<td class="num">${formatValue(c.value)}</td><td class="num">${formatValue(c.threshold)}</td>` +
      `<td>${htmlSafe(CRITERION_WORDS[c.name] ?? '')}</td></tr>`
    );
  });
  const head = ['criterion', 'status', 'value', 'threshold', 'what it checks'];
  return `<table><thead>${row(head, 'th')}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function counts(report: GateReport): string {
  const e = report.evidence;
  const rows: [string, string | number][] = [
    ['scans recorded up to this one', report.scans],
    ['preprod-selected nodes that ran the release', e.preprodNodes],
    ['node-hours on the release', Math.round(e.nodeHours)],
    ['release nodes gone dark', `${e.dark.release.dark} of ${e.dark.release.nodes}`],
    ['production nodes gone dark', `${e.dark.baseline.dark} of ${e.dark.baseline.nodes}`],
    ['crash-loop fallbacks', `${e.crashLoops.count} of ${e.crashLoops.of}`],
    ['switch failures', `${e.switchFailures.count} of ${e.switchFailures.of}`],
  ];
  const cells = rows.map(([k, v]) => `<tr><td>${k}</td><td class="num">${htmlSafe(String(v))}</td></tr>`);
  return `<table><tbody>${cells.join('')}</tbody></table>`;
}

function estimates(f: ReportFacts): string {
  const { darkDifference: d, fallbackShare: s } = f.estimates;
  const rows: string[][] = [];
  if (d !== null)
    rows.push(['gone dark, release minus production', htmlSafe(formatEstimate(d, d.margin, 'margin', true))]);
  if (s !== null) rows.push(['crash-loop fallback share', htmlSafe(formatEstimate(s, s.ceiling, 'ceiling', false))]);
  if (rows.length === 0) return '';
  return `<h2>Estimates</h2>\n${table(['number', 'estimate [interval] (limit)'], rows, 'estimates')}`;
}

function facts(f: ReportFacts): string {
  const parts = [estimates(f)];
  if (f.blocking.length > 0) {
    const rows = f.blocking.map((b) => [
      htmlSafe(b.criterion),
      htmlSafe(b.why, MAX_SENTENCE),
      htmlSafe(b.wouldChange, MAX_SENTENCE),
    ]);
    parts.push(`<h2>What it waits for</h2>\n${table(['criterion', 'why', 'what would change it'], rows, 'blocking')}`);
  }
  if (f.gaps.length > 0) {
    const rows = f.gaps.map((g) => [isoTime(g.from), isoTime(g.to), formatValue(g.hours)]);
    parts.push(`<h2>Gaps in the scans (not counted as soak)</h2>\n${table(['from', 'to', 'hours'], rows, 'gaps')}`);
  }
  if (f.darkByFailure.length > 0) {
    const rows = f.darkByFailure.map((k) => [
      htmlSafe(k.failure),
      String(k.count),
      htmlSafe(k.nodes.slice(0, 5).join(', ') + (k.nodes.length > 5 ? ', …' : '')),
    ]);
    const head = ['failure', 'nodes', 'first nodes'];
    parts.push(`<h2>Release nodes gone dark, by failure kind</h2>\n${table(head, rows, 'dark')}`);
  }
  return parts.filter((p) => p !== '').join('\n');
}

function fellBack(report: GateReport): string {
  const fell = report.evidence.fellBack;
  if (fell.length === 0) return '<p class="muted">No node fell back.</p>';
  const rows = fell.slice(0, MAX_LISTED_NODES).map((f) => [htmlSafe(f.node), htmlSafe(f.reason), isoTime(f.at)]);
  const more =
    fell.length > MAX_LISTED_NODES ? `<p class="muted">…and ${fell.length - MAX_LISTED_NODES} more.</p>` : '';
  return `${table(['node', 'reason', 'first seen'], rows)}${more}`;
}

function heading(report: GateReport, f: ReportFacts): string {
  const verdict = report.verdict as ShownVerdict;
  const badge = `<span class="verdict" style="background:${VERDICT_COLORS[verdict]}">${verdict.toUpperCase()}</span>`;
  const age =
    f.lastScanAgeHours === null ? '' : ` · last scan <span id="age">${formatHours(f.lastScanAgeHours)}</span> old`;
  const by = f.supersededBy === null ? '' : `${htmlSafe(f.supersededBy.version)} at ${f.supersededBy.at}`;
  const superseded = f.supersededBy === null ? '' : `<p id="superseded"><strong>Superseded</strong> by ${by}.</p>\n`;
  const warnings = f.warnings.map((w) => `<p class="warning">⚠ ${htmlSafe(w, MAX_SENTENCE)}</p>\n`).join('');
  return `<h1>Preprod gate ${badge}</h1>
<p><strong>Release</strong> ${htmlSafe(releaseName(report))} · judged at ${f.judgedAt ?? '–'} ·
reached preprod ${f.reachedAt ?? 'never'}${age}</p>
${superseded}<p>${htmlSafe(verdictSentence(report), MAX_SENTENCE)}</p>
${warnings}`;
}

function chartGrid(charts: string[], id: string): string {
  return `<div class="charts" id="${id}">\n${charts.join('\n')}\n</div>`;
}

export function gateHtml(report: GateReport): string {
  const f = reportFacts(report);
  const title = `Preprod gate: ${report.verdict} — ${releaseName(report)}`;
  const decisive = decisiveCharts(report);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlSafe(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${heading(report, f)}${facts(f)}
${signalHtml(report)}
${decisive.length > 0 ? `<h2>Decisive numbers over time</h2>\n${chartGrid(decisive, 'decisive')}` : ''}
<h2>Timelines</h2>
<div class="charts">
${scanCharts(report).join('\n')}
</div>
<h2>Criteria</h2>
${criteriaTable(report)}
<p class="muted">Bounds are one-sided at ${report.settings.confidence} confidence;
see docs/gate.md in fluxos-preprod.</p>
<h2>Counts</h2>
${counts(report)}
<h2>Nodes that fell back</h2>
${fellBack(report)}
</body>
</html>
`;
}
