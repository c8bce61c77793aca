import { expect } from 'chai';
import { aggregate, type FleetSummary } from '../../src/fleet/aggregate';
import { escapeLabelValue, formatJson, formatPrometheus, formatTable } from '../../src/fleet/report';
import type { NodeResult } from '../../src/fleet/scan';

interface Family {
  name: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}
// A small, plain-JavaScript parser of the text format (devDependency); no types published.
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Family[];

function node(kind: NodeResult['kind'], extra: Partial<NodeResult> = {}): NodeResult {
  return { host: '127.0.0.1', port: 1, kind, ms: 1, ...extra };
}

function many(count: number, make: () => NodeResult): NodeResult[] {
  return Array.from({ length: count }, make);
}

/** 910 preprod of 13,110 reporting: 6.9% (95% CI 6.5-7.4%). */
function fleetSummary(extra: NodeResult[] = []): FleetSummary {
  return aggregate(
    [
      ...many(900, () => node('preprod', { version: '8.18.0', reason: 'selected' })),
      ...many(10, () => node('preprod', { version: '8.18.1', reason: 'selected' })),
      ...many(12000, () => node('production', { version: '8.17.0', reason: 'not-selected' })),
      ...many(200, () => node('production', { version: '8.17.0', reason: 'crash-loop' })),
      ...many(40, () => node('unknown', { version: '8.16.0' })),
      ...many(3, () => node('timeout')),
      node('http-500'),
      ...extra,
    ],
    { probability: 0.07 },
  );
}

// One line of text exposition format 0.0.4: a comment, or name{labels} value.
const NAME = 'fluxos_preprod_[a-z_]+';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\["\\\\n])*"';
const LABELS = `\\{[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE}(?:,[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE})*\\}`;
const VALUE = '(?:NaN|[+-]Inf|-?[0-9]+(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?)';
const HELP_LINE = new RegExp(`^# HELP (${NAME}) [^\\n]+$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (gauge|counter)$`);
const SAMPLE_LINE = new RegExp(`^(${NAME})(${LABELS})? ${VALUE}$`);

function checkExposition(text: string): Map<string, string[]> {
  expect(text.endsWith('\n'), 'ends with a line feed').to.equal(true);
  const samples = new Map<string, string[]>();
  const typed = new Set<string>();
  let current = '';
  for (const line of text.slice(0, -1).split('\n')) {
    const help = HELP_LINE.exec(line);
    const type = TYPE_LINE.exec(line);
    const sample = SAMPLE_LINE.exec(line);
    expect(help ?? type ?? sample, `line ${JSON.stringify(line)} is a HELP, TYPE or sample line`).to.not.equal(null);
    if (help) {
      expect(typed.has(help[1]), `${help[1]} has one family block`).to.equal(false);
      current = help[1];
    }
    if (type) {
      expect(type[1]).to.equal(current);
      typed.add(type[1]);
    }
    if (sample) {
      expect(sample[1], 'samples follow their own TYPE line').to.equal(current);
      expect(typed.has(sample[1])).to.equal(true);
      samples.set(sample[1], [...(samples.get(sample[1]) ?? []), line]);
    }
  }
  return samples;
}

describe('fleet report', () => {
  describe('formatTable', () => {
    it('shows counts, the share with its interval, the probability, reasons, versions and failures', () => {
      const table = formatTable(fleetSummary());
      expect(table).to.include('Nodes asked 13154, answered 13150');
      expect(table).to.match(/^ {2}preprod +910$/m);
      expect(table).to.match(/^ {2}production +12200$/m);
      expect(table).to.match(/^ {2}unknown +40 /m);
      expect(table).to.match(/^ {2}failed +4$/m);
      expect(table).to.include('Preprod share: 6.9% (95% CI 6.5–7.4%) of 13110 nodes reporting a branch');
      expect(table).to.include('Configured probability: 7.0%, inside the interval (observed -0.1 pp)');
      expect(table).to.include('Reasons: not-selected 12000, selected 910, crash-loop 200');
      expect(table).to.match(/^ {2}preprod +8\.18\.0 +900$/m);
      expect(table).to.match(/^ {14}8\.18\.1 +10$/m);
      expect(table).to.match(/^ {2}production +8\.17\.0 +12200$/m);
      expect(table).to.include('Failures: timeout 3, http-500 1');
      expect(table.endsWith('\n')).to.equal(true);
    });

    it('says when the probability lies outside the interval', () => {
      const summary = aggregate([...many(30, () => node('preprod')), ...many(70, () => node('production'))], {
        probability: 0.07,
      });
      expect(formatTable(summary)).to.include('Configured probability: 7.0%, OUTSIDE the interval (observed +23.0 pp)');
    });

    it('has no share when nothing answered', () => {
      const table = formatTable(aggregate([node('refused')], { probability: 0.07 }));
      expect(table).to.include('Preprod share: n/a');
      expect(table).to.include('Configured probability: 7.0%\n');
      expect(table).to.include('Failures: refused 1');
      expect(table).to.include('Reasons: none');
    });

    it('keeps terminal escapes out and long version lists short', () => {
      const versions = Array.from({ length: 30 }, (_, i) => node('preprod', { version: `1.0.${i}` }));
      const table = formatTable(
        aggregate([node('preprod', { version: '\u001b[2J\u0007' }), ...versions], { probability: 0.07 }),
      );
      expect(table).to.not.match(/[\u0000-\u0009\u000b-\u001f\u007f]/);
      expect(table).to.include('?[2J?');
      expect(table).to.include('(23 more)');
    });
  });

  describe('formatJson', () => {
    it('round-trips the summary, with null share when nothing reports a branch', () => {
      const summary = fleetSummary();
      expect(JSON.parse(formatJson(summary))).to.deep.equal(JSON.parse(JSON.stringify(summary)));
      const empty = JSON.parse(formatJson(aggregate([], { probability: 0.07 }))) as FleetSummary;
      expect(empty.share).to.deep.equal({ value: null, low: null, high: null });
      expect(empty.probabilityInInterval).to.equal(null);
    });
  });

  describe('formatPrometheus', () => {
    it('writes every line in exposition format 0.0.4 with the expected families', () => {
      const samples = checkExposition(formatPrometheus(fleetSummary()));
      expect(samples.get('fluxos_preprod_nodes')).to.deep.equal([
        'fluxos_preprod_nodes{state="preprod"} 910',
        'fluxos_preprod_nodes{state="production"} 12200',
        'fluxos_preprod_nodes{state="unknown"} 40',
        'fluxos_preprod_nodes{state="degraded"} 0',
        'fluxos_preprod_nodes{state="failed"} 4',
      ]);
      expect(samples.get('fluxos_preprod_failed_nodes')).to.include('fluxos_preprod_failed_nodes{kind="timeout"} 3');
      expect(samples.get('fluxos_preprod_failed_nodes')).to.include('fluxos_preprod_failed_nodes{kind="http-500"} 1');
      expect(samples.get('fluxos_preprod_configured_probability_ratio')).to.deep.equal([
        'fluxos_preprod_configured_probability_ratio 0.07',
      ]);
      expect(samples.get('fluxos_preprod_share_ratio')).to.deep.equal([`fluxos_preprod_share_ratio ${910 / 13110}`]);
      expect(samples.get('fluxos_preprod_share_low_ratio')![0]).to.match(/^fluxos_preprod_share_low_ratio 0\.065/);
      expect(samples.get('fluxos_preprod_share_high_ratio')![0]).to.match(/^fluxos_preprod_share_high_ratio 0\.07[34]/);
      expect(samples.get('fluxos_preprod_probability_in_interval')).to.deep.equal([
        'fluxos_preprod_probability_in_interval 1',
      ]);
      expect(samples.get('fluxos_preprod_nodes_by_reason')).to.include(
        'fluxos_preprod_nodes_by_reason{reason="crash-loop"} 200',
      );
      expect(samples.get('fluxos_preprod_versions')).to.deep.equal([
        'fluxos_preprod_versions{branch="preprod",version="8.18.0"} 900',
        'fluxos_preprod_versions{branch="preprod",version="8.18.1"} 10',
        'fluxos_preprod_versions{branch="production",version="8.17.0"} 12200',
        'fluxos_preprod_versions{branch="unknown",version="8.16.0"} 40',
      ]);
    });

    it('caps versions like fleet watch: the 20 most common by name, the rest under other (a parser agrees)', () => {
      const many = Array.from({ length: 30 }, (_, i) =>
        Array.from({ length: i + 1 }, () => node('preprod', { version: `1.0.${i}` })),
      ).flat();
      const text = formatPrometheus(fleetSummary(many));
      const families = parsePrometheus(text);
      const versions = families.find((f) => f.name === 'fluxos_preprod_versions')?.metrics ?? [];
      const preprod = versions.filter((m) => m.labels?.branch === 'preprod');
      expect(preprod).to.have.length(21);
      const other = preprod.find((m) => m.labels?.version === 'other');
      // Kept: 8.18.0 (900) and 1.0.29 … 1.0.11 (30 … 12 nodes); summed: 1.0.10 … 1.0.0 (11 … 1) and 8.18.1 (10).
      expect(Number(other?.value)).to.equal(66 + 10);
      expect(preprod.some((m) => m.labels?.version === '1.0.29')).to.equal(true);
      for (const f of families.filter((f) => /share|probability/.test(f.name) && !/in_interval|deviation/.test(f.name)))
        expect(f.name).to.match(/_ratio$/);
    });

    it('counts degraded nodes in their own state, so the states add up to the nodes asked (a parser agrees)', () => {
      const degraded = [
        ...many(5, () => node('degraded', { state: 'preprod' })),
        ...many(2, () => node('degraded', { state: 'production' })),
        node('degraded'),
      ];
      const summary = fleetSummary(degraded);
      const families = parsePrometheus(formatPrometheus(summary));
      const states = families.find((f) => f.name === 'fluxos_preprod_nodes')?.metrics ?? [];
      const byState = Object.fromEntries(states.map((m) => [m.labels?.state, Number(m.value)]));
      expect(byState).to.deep.equal({ preprod: 910, production: 12200, unknown: 40, degraded: 8, failed: 4 });
      const asked = Number(families.find((f) => f.name === 'fluxos_preprod_nodes_asked')?.metrics[0].value);
      expect(asked).to.equal(13162);
      expect(states.reduce((sum, m) => sum + Number(m.value), 0)).to.equal(asked);
    });

    it('writes NaN when there is no share', () => {
      const samples = checkExposition(formatPrometheus(aggregate([], { probability: 0.07 })));
      expect(samples.get('fluxos_preprod_share_ratio')).to.deep.equal(['fluxos_preprod_share_ratio NaN']);
      expect(samples.get('fluxos_preprod_share_low_ratio')).to.deep.equal(['fluxos_preprod_share_low_ratio NaN']);
      expect(samples.get('fluxos_preprod_probability_in_interval')).to.deep.equal([
        'fluxos_preprod_probability_in_interval NaN',
      ]);
    });

    it('escapes hostile version strings so every line still parses', () => {
      const hostile = ['8.0"} 1\n# TYPE evil gauge', 'a\\b', 'x\\"y', '\\n', '\ud800lone'];
      const summary = fleetSummary(hostile.map((version) => node('production', { version, reason: 'other' })));
      const text = formatPrometheus(summary);
      const samples = checkExposition(text);
      const versions = samples.get('fluxos_preprod_versions')!;
      expect(versions).to.include(
        'fluxos_preprod_versions{branch="production",version="8.0\\"} 1\\n# TYPE evil gauge"} 1',
      );
      expect(versions).to.include('fluxos_preprod_versions{branch="production",version="a\\\\b"} 1');
      expect(versions).to.include('fluxos_preprod_versions{branch="production",version="x\\\\\\"y"} 1');
      expect(versions).to.include('fluxos_preprod_versions{branch="production",version="\\\\n"} 1');
      expect(versions).to.include('fluxos_preprod_versions{branch="production",version="\ufffdlone"} 1');
      expect(Buffer.from(text, 'utf8').toString('utf8')).to.equal(text);
    });

    const escapes: [string, string][] = [
      ['plain', 'plain'],
      ['"', '\\"'],
      ['\\', '\\\\'],
      ['\n', '\\n'],
      ['\\n', '\\\\n'],
      ['\ud83d\ude00', '\ud83d\ude00'],
      ['\udc00', '\ufffd'],
    ];
    for (const [input, expected] of escapes) {
      it(`escapes the label value ${JSON.stringify(input)} as ${JSON.stringify(expected)}`, () => {
        expect(escapeLabelValue(input)).to.equal(expected);
      });
    }
  });

  describe('node-list entries dropped before the scan', () => {
    const withDropped = (): FleetSummary => {
      const summary = fleetSummary();
      const byScope = Object.assign(Object.create(null) as Record<string, number>, { loopback: 2, private: 1 });
      summary.dropped = { total: 3, byScope };
      return summary;
    };

    it('the table names them and the way to scan them', () => {
      expect(formatTable(withDropped())).to.include(
        'Dropped from the node list: 3 (loopback 2, private 1); --allow-private',
      );
      expect(formatTable(fleetSummary())).not.to.include('Dropped');
    });

    it('JSON carries the counts', () => {
      expect(JSON.parse(formatJson(withDropped())).dropped).to.deep.equal({
        total: 3,
        byScope: { loopback: 2, private: 1 },
      });
    });

    it('Prometheus has one sample per scope, only when a node list was screened', () => {
      const text = formatPrometheus(withDropped());
      checkExposition(text);
      expect(text).to.include('fluxos_preprod_targets_dropped{scope="loopback"} 2');
      expect(text).to.include('fluxos_preprod_targets_dropped{scope="private"} 1');
      expect(formatPrometheus(fleetSummary())).not.to.include('targets_dropped');
    });
  });
});
