/**
 * The HTML report: one self-contained page (inline CSS and SVG, no script, a
 * Content-Security-Policy that forbids every fetch) with the verdict, the
 * criteria, the counts, timelines of the preprod share, release uptake,
 * crash-loops and availability by cohort, and the nodes that fell back.
 * Every value from a node is escaped. Pure.
 */
import type { GateReport } from '../judge/gate';
import type { ScanPoint as TimelinePoint } from '../judge/evidence';
import { escapeXml, lineChart, thin } from './svg';
import { CRITERION_WORDS, criterionStatus, formatValue, releaseName, verdictSentence } from './text';
import { MAX_LISTED_NODES } from './markdown';

const COLORS = { promote: '#1a7f37', halt: '#cf222e', wait: '#9a6700', inconclusive: '#6e7781' } as const;

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
svg .marker { stroke: #8c959f; stroke-dasharray: 4 3; }
svg .tick, svg .legend { font: 11px system-ui, sans-serif; fill: #57606a; }
svg .title { font: 600 13px system-ui, sans-serif; }
.HALT { color: #cf222e; font-weight: 600; } .muted { color: #57606a; }`;

const percent = (v: number) => `${Math.round(v * 1000) / 10}%`;
const th = (text: string) => `<th>${text}</th>`;
const CRITERIA_HEAD = ['criterion', 'status', 'value', 'threshold', 'what it checks'];

function charts(report: GateReport): string {
  const points: TimelinePoint[] = thin(report.scanTimeline ?? []);
  const times = points.map((p) => p.at);
  const reached = report.evidence.reachedAt;
  const marker = reached === null ? undefined : { at: reached, label: 'reached preprod' };
  const share = (pick: (p: TimelinePoint) => number | null) => points.map(pick);
  // Scaled to the share seen (at least 20%), so 7% is not a flat line at the bottom.
  const topShare = Math.max(0.2, ...points.map((p) => (p.preprodShare ?? 0) * 1.25));
  const shown = [
    lineChart({
      title: 'Preprod share of answering nodes',
      times,
      marker,
      yMax: Math.min(1, topShare),
      format: percent,
      series: [{ label: 'preprod share', color: '#0969da', values: share((p) => p.preprodShare) }],
    }),
    lineChart({
      title: `Uptake of ${report.release.version ?? 'the release'} among preprod nodes`,
      times,
      marker,
      yMax: 1,
      format: percent,
      series: [{ label: 'uptake', color: '#8250df', values: share((p) => p.uptake) }],
    }),
    lineChart({
      title: 'Nodes reporting a crash-loop fallback',
      times,
      marker,
      series: [{ label: 'crash-loop', color: '#cf222e', values: share((p) => p.crashLoops) }],
    }),
    lineChart({
      title: 'Availability by cohort (answering / asked)',
      times,
      marker,
      yMin: 0,
      yMax: 1,
      format: percent,
      series: [
        { label: 'preprod-selected', color: '#bf8700', values: share((p) => p.availability.selected) },
        { label: 'production', color: '#1a7f37', values: share((p) => p.availability.notSelected) },
      ],
    }),
  ];
  return `<div class="charts">\n${shown.join('\n')}\n</div>`;
}

function criteriaTable(report: GateReport): string {
  const rows = report.criteria.map((c) => {
    const status = criterionStatus(c);
    return (
      `<tr><td><code>${escapeXml(c.name)}</code></td><td class="${status === 'HALT' ? 'HALT' : ''}">${status}</td>` +
      `<td class="num">${formatValue(c.value)}</td><td class="num">${formatValue(c.threshold)}</td>` +
      `<td>${escapeXml(CRITERION_WORDS[c.name] ?? '')}</td></tr>`
    );
  });
  return `<table><thead><tr>${CRITERIA_HEAD.map(th).join('')}</tr></thead>` + `<tbody>${rows.join('')}</tbody></table>`;
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
  const cells = rows.map(([k, v]) => `<tr><td>${k}</td><td class="num">${escapeXml(String(v))}</td></tr>`);
  return `<table><tbody>${cells.join('')}</tbody></table>`;
}

function fellBack(report: GateReport): string {
  const fell = report.evidence.fellBack;
  if (fell.length === 0) return '<p class="muted">No node fell back.</p>';
  const rows = fell
    .slice(0, MAX_LISTED_NODES)
    .map((f) => `<tr><td>${escapeXml(f.node)}</td><td>${f.reason}</td><td>${escapeXml(f.at)}</td></tr>`);
  const more =
    fell.length > MAX_LISTED_NODES ? `<p class="muted">…and ${fell.length - MAX_LISTED_NODES} more.</p>` : '';
  const head = ['node', 'reason', 'first seen'].map(th).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>${more}`;
}

export function gateHtml(report: GateReport): string {
  const e = report.evidence;
  const title = `Preprod gate: ${report.verdict} — ${releaseName(report)}`;
  const color = COLORS[report.verdict];
  const badge = `<span class="verdict" style="background:${color}">${report.verdict.toUpperCase()}</span>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Preprod gate ${badge}</h1>
<p><strong>Release</strong> ${escapeXml(releaseName(report))} · judged at ${escapeXml(e.at ?? '–')} ·
reached preprod ${escapeXml(e.reachedAt ?? 'never')}</p>
<p>${escapeXml(verdictSentence(report))}</p>
<h2>Timelines</h2>
${charts(report)}
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
