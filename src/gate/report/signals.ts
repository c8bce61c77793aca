/**
 * The health signals in every report form (docs/gate-operations.md,
 * "Reports"): per signal its release-vs-production change (the share of
 * release nodes that worsened minus production's over the same hours) with
 * its always-valid bounds, for the whole fleet and each stratum judged, against
 * the promote and halt margins. Stratum names carry hosting providers, which
 * come from nodes: every one goes through the medium's escaping. Pure.
 */
import type { GateReport } from '../judge/gate';
import type { SignalFigures, SignalStratumFigures } from '../judge/signalJudge';
import { SIGNAL_RULES } from '../../health/signalRules';
import { formatShare } from './facts';
import { htmlSafe, markdownSafe, terminalSafe } from './safeText';

/** What each `signal.*` criterion checks, in words, for the criteria tables. */
export const SIGNAL_CRITERION_WORDS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    SIGNAL_RULES.flatMap((rule) => [
      [`signal.${rule.name}.upper`, `${rule.good}: worsened, release minus production, upper bound ≤ margin`],
      [`signal.${rule.name}.lower`, `${rule.good}: worsened, release minus production, lower bound ≤ halt margin`],
    ]),
  ),
);

export interface SignalRow {
  signal: string;
  good: string;
  /** Not yet escaped: may name a provider. */
  stratum: string;
  nodes: number;
  /** `+4.90% [+2.10%, +8.00%]` */
  change: string;
  limits: string;
  /** HALT (this stratum shows harm), `within` (whole fleet within the margin), or `–`. */
  status: string;
}

function stratumRow(signal: SignalFigures, s: SignalStratumFigures): SignalRow {
  const whole = s.stratum === 'all';
  const status = s.harm ? 'HALT' : whole && signal.notWorse ? 'within' : '–';
  // -1 and 1 are the bounds of "nothing shown" (eProcess.ts): a dash, not −100%.
  const low = s.low <= -1 ? '–' : formatShare(s.low, true);
  const high = s.high >= 1 ? '–' : formatShare(s.high, true);
  return {
    signal: signal.name,
    good: signal.good,
    stratum: s.stratum,
    nodes: s.nodes,
    change: `${formatShare(s.estimate, true)} [${low}, ${high}]`,
    limits: `margin ${formatShare(signal.margin)}, halt above ${formatShare(signal.haltMargin)}`,
    status,
  };
}

/** One row per signal for the whole fleet, then one per other stratum judged at this look. */
export function signalRows(report: GateReport): SignalRow[] {
  const rows: SignalRow[] = [];
  for (const signal of report.signals?.signals ?? []) {
    for (const s of signal.strata) if (s.stratum === 'all' || s.judged) rows.push(stratumRow(signal, s));
  }
  return rows;
}

function heading(report: GateReport): string | null {
  const s = report.signals;
  if (s === null || s === undefined) return null;
  if (s.note !== null) return `health signals: none judged: ${s.note}.`;
  const unreported = s.unreported?.length
    ? `; not judged, no production baseline before the release: ${s.unreported.join(', ')}`
    : '';
  return (
    `health signals at ${s.judgedAt ?? '–'}: worsened share of release nodes minus production's, ` +
    `always-valid bounds, α ${s.alpha} over every signal, stratum and look (docs/health.md)${unreported}`
  );
}

/**
 * The terminal keeps to one line per signal (the whole fleet) plus one per stratum that shows harm; the other
 * judged strata are counted (every one is in --json, Markdown and HTML).
 */
export function signalTextLines(report: GateReport): string[] {
  const head = heading(report);
  if (head === null) return [];
  const lines = ['', terminalSafe(head, 400)];
  const line = (r: SignalRow, label: string) =>
    `  ${label.padEnd(10)} ${terminalSafe(r.stratum, 40).padEnd(28)} ${String(r.nodes).padStart(5)} nodes  ` +
    `${r.change.padEnd(26)} ${r.status.padEnd(6)}`;
  for (const signal of report.signals?.signals ?? []) {
    const rows = signalRows(report).filter((r) => r.signal === signal.name);
    const [whole, ...strata] = rows;
    if (whole === undefined) continue;
    const harmed = strata.filter((r) => r.status === 'HALT');
    const quiet = strata.length - harmed.length;
    lines.push(`${line(whole, signal.name)} ${whole.limits}; good: ${signal.good}`);
    for (const r of harmed) lines.push(line(r, ''));
    if (quiet > 0)
      lines.push(`  ${''.padEnd(10)} ${quiet} more ${quiet === 1 ? 'stratum' : 'strata'} judged, no harm shown`);
  }
  return lines;
}

/** The whole fleet per signal in a table; the other judged strata in a second one, folded (a PR stays short). */
export function signalMarkdown(report: GateReport): string[] {
  const head = heading(report);
  if (head === null) return [];
  const rows = signalRows(report);
  const lines = ['### Health signals', '', markdownSafe(head, 400), ''];
  if (rows.length === 0) return lines;
  const table = (part: SignalRow[]) => [
    '| signal | stratum | nodes | change [bounds] | status | limits |',
    '| --- | --- | ---: | --- | --- | --- |',
    ...part.map(
      (r) =>
        `| ${r.signal} (${r.good}) | ${markdownSafe(r.stratum)} | ${r.nodes} | ${r.change} | ${r.status} | ` +
        `${r.limits} |`,
    ),
  ];
  const strata = rows.filter((r) => r.stratum !== 'all');
  lines.push(...table(rows.filter((r) => r.stratum === 'all')), '');
  if (strata.length === 0) return lines;
  const halted = strata.filter((r) => r.status === 'HALT').length;
  const summary = `per stratum (platform, provider): ${strata.length} judged rows, ${halted} showing harm`;
  return [...lines, '<details>', `<summary>${summary}</summary>`, '', ...table(strata), '', '</details>', ''];
}

export function signalHtml(report: GateReport): string {
  const head = heading(report);
  if (head === null) return '';
  const rows = signalRows(report).map(
    (r) =>
      `<tr><td>${r.signal} <span class="muted">${htmlSafe(r.good)}</span></td><td>${htmlSafe(r.stratum)}</td>` +
      `<td class="num">${r.nodes}</td><td class="num">${htmlSafe(r.change)}</td>` +
      `<td class="${r.status === 'HALT' ? 'HALT' : ''}">${r.status}</td><td>${htmlSafe(r.limits)}</td></tr>`,
  );
  const table =
    rows.length === 0
      ? ''
      : '<table id="signals"><thead><tr><th>signal</th><th>stratum</th><th>nodes</th><th>change [bounds]</th>' +
        `<th>status</th><th>limits</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  return `<h2>Health signals</h2>\n<p class="muted" id="signals-note">${htmlSafe(head, 400)}</p>\n${table}`;
}
