/**
 * Renders a fleet summary as a table for people, JSON for programs, or
 * Prometheus text for a scrape. Pure. Version strings and other keys come
 * from strangers: every renderer escapes them for its own format.
 */
import { healthLines } from '../health/healthTable';
import type { Counts, FleetSummary } from './aggregate';
import { MAX_VERSION_SERIES, topCounts } from '../gate/report/seriesCap';

/** Rows shown per version list in the table; the rest are summed into one line. */
const TABLE_VERSION_ROWS = 8;

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/** Printable ASCII only: a version like "\x1b[2J" must not clear the operator's terminal. */
function printable(text: string, max = 64): string {
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut.replace(/[^\x20-\x7e…]/g, '?');
}

function entriesByCount(map: Counts): [string, number][] {
  return Object.keys(map)
    .map((key): [string, number] => [key, map[key]])
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function list(map: Counts, { skipZero }: { skipZero: boolean }): string {
  const parts = entriesByCount(map)
    .filter(([, n]) => !skipZero || n > 0)
    .map(([key, n]) => `${printable(key)} ${n}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function versionLines(label: string, map: Counts): string[] {
  const entries = entriesByCount(map);
  if (entries.length === 0) return [`  ${label.padEnd(11)} none`];
  const shown = entries
    .slice(0, TABLE_VERSION_ROWS)
    .map(([version, n], i) => `  ${(i === 0 ? label : '').padEnd(11)} ${printable(version, 24).padEnd(24)} ${n}`);
  const rest = entries.slice(TABLE_VERSION_ROWS);
  if (rest.length > 0) {
    shown.push(`  ${''.padEnd(11)} ${`(${rest.length} more)`.padEnd(24)} ${rest.reduce((sum, [, n]) => sum + n, 0)}`);
  }
  return shown;
}

export function formatTable(summary: FleetSummary): string {
  const width = String(Math.max(summary.asked, 1)).length;
  const row = (label: string, n: number, note = ''): string =>
    `  ${label.padEnd(11)} ${String(n).padStart(width)}${note}`;
  const answeredShare = summary.asked === 0 ? '' : ` (${percent(summary.answered / summary.asked)} of asked)`;
  const lines = [
    `Nodes asked ${summary.asked}, answered ${summary.answered}${answeredShare}`,
    row('preprod', summary.preprod),
    row('production', summary.production),
    row('unknown', summary.unknown, '  (no preProdNode in /flux/info)'),
    row('degraded', summary.degraded, '  (answered with an error envelope: FluxOS up, a component failed)'),
    row('failed', summary.failedTotal),
    '',
  ];
  const { value, low, high } = summary.share;
  const reporting = summary.preprod + summary.production;
  if (value === null || low === null || high === null) {
    lines.push('Preprod share: n/a (no node reported preprod or production)');
  } else {
    lines.push(
      `Preprod share: ${percent(value)} (95% CI ${(low * 100).toFixed(1)}–${percent(high)}) ` +
        `of ${reporting} nodes reporting a branch`,
    );
  }
  const configured = `Configured probability: ${percent(summary.probability)}`;
  if (summary.probabilityInInterval === null || summary.deviation === null) {
    lines.push(configured);
  } else {
    const sign = summary.deviation >= 0 ? '+' : '-';
    const where = summary.probabilityInInterval ? 'inside' : 'OUTSIDE';
    lines.push(`${configured}, ${where} the interval (observed ${sign}${Math.abs(summary.deviation).toFixed(1)} pp)`);
  }
  lines.push(
    '',
    `Reasons: ${list(summary.byReason, { skipZero: true })}`,
    '',
    'Versions:',
    ...versionLines('preprod', summary.versions.preprod),
    ...versionLines('production', summary.versions.production),
    ...versionLines('unknown', summary.versions.unknown),
    '',
    `Failures: ${list(summary.failed, { skipZero: true })}`,
    '',
    ...healthLines(summary.health),
  );
  if (summary.dropped && summary.dropped.total > 0) {
    lines.push(
      `Dropped from the node list: ${summary.dropped.total} ` +
        `(${list(summary.dropped.byScope, { skipZero: true })}); --allow-private scans them`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function formatJson(summary: FleetSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}

// Prometheus text exposition format 0.0.4.

/** Label values: backslash, double quote and line feed are escaped; lone surrogates would not be valid UTF-8. */
export function escapeLabelValue(value: string): string {
  return value
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

function sampleValue(value: number | null): string {
  if (value === null || Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

type Labels = Record<string, string>;

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, help: string, samples: [Labels, number | null][]): void {
    const metric = `fluxos_preprod_${name}`;
    this.lines.push(`# HELP ${metric} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${metric} gauge`);
    for (const [labels, value] of samples) {
      const keys = Object.keys(labels);
      const set = keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k])}"`).join(',')}}`;
      this.lines.push(`${metric}${set} ${sampleValue(value)}`);
    }
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** Capped like `fleet watch`: a hostile fleet reporting 13,000 versions must not make 13,000 series. */
function versionSamples(summary: FleetSummary): [Labels, number][] {
  const samples: [Labels, number][] = [];
  for (const branch of ['preprod', 'production', 'unknown'] as const) {
    for (const [version, n] of topCounts(summary.versions[branch], MAX_VERSION_SERIES))
      samples.push([{ branch, version }, n]);
  }
  return samples;
}

/** A partition of the nodes asked (docs/gate-operations.md): degraded nodes answered with an error envelope. */
function stateSamples(summary: FleetSummary): [Labels, number][] {
  return [
    [{ state: 'preprod' }, summary.preprod],
    [{ state: 'production' }, summary.production],
    [{ state: 'unknown' }, summary.unknown],
    [{ state: 'degraded' }, summary.degraded],
    [{ state: 'failed' }, summary.failedTotal],
  ];
}

export function formatPrometheus(summary: FleetSummary): string {
  const out = new Exposition();
  out.family('nodes_asked', 'Nodes the fleet scan asked for /flux/info.', [[{}, summary.asked]]);
  out.family('nodes_answered', 'Nodes that answered with a FluxOS success envelope.', [[{}, summary.answered]]);
  out.family(
    'nodes',
    'Nodes by state: what answering nodes report, degraded (an error envelope), failed (no usable answer).',
    stateSamples(summary),
  );
  out.family(
    'failed_nodes',
    'Nodes without a usable answer, by failure kind.',
    Object.keys(summary.failed).map((kind): [Labels, number] => [{ kind }, summary.failed[kind]]),
  );
  // Shares are `_ratio`s (one unit per metric name, issue 17).
  out.family(
    'share_ratio',
    'Observed preprod share: preprod / (preprod + production); NaN when no node reports a branch.',
    [[{}, summary.share.value]],
  );
  out.family('share_low_ratio', 'Lower bound of the 95% Wilson score interval of the preprod share.', [
    [{}, summary.share.low],
  ]);
  out.family('share_high_ratio', 'Upper bound of the 95% Wilson score interval of the preprod share.', [
    [{}, summary.share.high],
  ]);
  out.family('configured_probability_ratio', 'Configured preprod probability the share is compared with.', [
    [{}, summary.probability],
  ]);
  out.family(
    'probability_in_interval',
    '1 when the configured probability lies inside the 95% interval, 0 when outside, NaN without an interval.',
    [[{}, summary.probabilityInInterval === null ? null : summary.probabilityInInterval ? 1 : 0]],
  );
  out.family('share_deviation_points', 'Observed share minus configured probability, in percentage points.', [
    [{}, summary.deviation],
  ]);
  out.family(
    'nodes_by_reason',
    'Preprod and production nodes by the reason code they report.',
    Object.keys(summary.byReason).map((reason): [Labels, number] => [{ reason }, summary.byReason[reason]]),
  );
  out.family(
    'versions',
    `Answering nodes by state and reported FluxOS version (the ${MAX_VERSION_SERIES} most common, the rest \`other\`).`,
    versionSamples(summary),
  );
  if (summary.dropped) {
    const byScope = summary.dropped.byScope;
    out.family(
      'targets_dropped',
      'Node-list entries not scanned: their address is not public (by scope), or their name did not resolve.',
      Object.keys(byScope).map((scope): [Labels, number] => [{ scope }, byScope[scope]]),
    );
  }
  return out.text();
}
