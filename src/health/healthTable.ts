/**
 * The health lines of `fleet`'s table (docs/health.md). Pure. Provider and
 * country names come from strangers: printable ASCII only, cut short.
 */
import { SYNC_LAG_BLOCKS, type FleetHealth, type NamedCount, type YesNo } from './fleetHealth';

function share(part: number, whole: number): string {
  return whole === 0 ? 'n/a' : `${((part / whole) * 100).toFixed(1)}%`;
}

function yesNo(counts: YesNo): string {
  return `${counts.yes} of ${counts.yes + counts.no} (${share(counts.yes, counts.yes + counts.no)})`;
}

function printable(text: string, max = 24): string {
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut.replace(/[^\x20-\x7e…]/g, '?');
}

function names(list: { top: NamedCount[]; others: number; unknown: number }): string {
  const parts = list.top.map(({ name, nodes }) => `${printable(name)} ${nodes}`);
  if (list.others > 0) parts.push(`others ${list.others}`);
  if (list.unknown > 0) parts.push(`unknown ${list.unknown}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function value(n: number | null, unit = ''): string {
  return n === null ? 'n/a' : `${Number.isInteger(n) ? n : n.toFixed(1)}${unit}`;
}

/** The table's "Health" block: one line per signal, fleet-wide. */
export function healthLines(health: FleetHealth): string[] {
  const degraded = Object.entries(health.degradedByClass)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`);
  return [
    `Health (${health.reporting} nodes with a full /flux/info):`,
    `  confirmed    ${yesNo(health.confirmed)}`,
    `  benchmark    ${yesNo(health.benchmarkPassing)} passing`,
    `  apps         ${health.apps.hosting} of ${health.apps.reporting} nodes host apps, ${health.apps.total} apps`,
    `  peers        median in ${value(health.peersInMedian)}, out ${value(health.peersOutMedian)}`,
    `  sync         median height ${value(health.blocksMedian)}, ${health.behind.nodes} of ${health.behind.reporting}` +
      ` nodes more than ${SYNC_LAG_BLOCKS} blocks behind`,
    `  uptime       median ${value(health.uptimeHoursMedian, ' h')}`,
    `  answer time  median ${value(health.answerMs.median, ' ms')}, p95 ${value(health.answerMs.p95, ' ms')}`,
    `  ArcaneOS     ${health.arcane} of ${health.reporting} (${share(health.arcane, health.reporting)})`,
    `  degraded     ${degraded.length === 0 ? 'none' : degraded.join(', ')}`,
    `  providers    ${names(health.providers)}`,
    `  countries    ${names(health.countries)}`,
  ];
}
