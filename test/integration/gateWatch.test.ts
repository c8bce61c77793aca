import { expect } from 'chai';
import * as http from 'node:http';
import * as path from 'node:path';
import { FileHistory } from '../../src/gate/history/fileHistory';
import { describeRun, errorLines, runCli, startCli, type RunningCli } from '../support/cli';
import { startFakeFleet, type FakeFleet } from '../support/fakeFleet';
import { makeTempDir } from '../support/tmp';

interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}
// A small, plain-JavaScript parser of the text format (devDependency); no types published.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Family[];

/** The text exposition format, line by line (prometheus.io/docs/instrumenting/exposition_formats). */
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABELS = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE}(?:,[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE})*,?)?\\}`;
const NUMBER = '(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?Inf|NaN)';
const COMMENT = `# HELP ${NAME} .*|# TYPE ${NAME} (?:counter|gauge|histogram|summary|untyped)`;
const LINE = new RegExp(`^(?:${COMMENT}|${NAME}(?:${LABELS})? ${NUMBER}(?: -?\\d+)?)$`);

function get(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

function sample(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const metric = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return metric?.value === undefined ? undefined : Number(metric.value);
}

describe('fleet watch (CLI)', function () {
  this.timeout(60_000);
  let fleet: FakeFleet;
  let tmp: ReturnType<typeof makeTempDir>;
  let running: RunningCli | null = null;
  before(async () => {
    const hostile = { kind: 'preprod' as const, version: 'v"1\\\n# TYPE x counter', reason: 'selected' };
    fleet = await startFakeFleet(['preprod', 'preprod', 'production', 'production', 'production', 'refused', hostile]);
  });
  after(async () => fleet.close());
  beforeEach(() => {
    tmp = makeTempDir('gate-watch-');
  });
  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) running.signal('SIGKILL');
    running = null;
    tmp.remove();
  });
  const targets = () => fleet.targets.map((t) => `${t.host}:${t.port}`);

  it('serves metrics a Prometheus text parser accepts, records each scan, stops with exit 0 on SIGTERM', async () => {
    const file = path.join(tmp.dir, 'h.log');
    running = startCli([
      'fleet',
      'watch',
      ...targets(),
      '--every',
      '10s',
      '--record',
      `file:${file}`,
      '--metrics-port',
      '0',
    ]);
    const url = (await running.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+\/metrics)/))[1];
    await running.waitFor(/scan at \S+: 6 of 7 answered; gate \w+/, { stream: 'stderr' });
    const response = await get(url);
    expect(response.status).to.equal(200);
    expect(response.type).to.match(/^text\/plain; version=0\.0\.4/);
    const lines = response.body.split('\n').filter((line) => line !== '');
    expect(lines.filter((line) => !LINE.test(line))).to.deep.equal([]);
    const families = parsePrometheus(response.body);
    const samples = lines.filter((line) => !line.startsWith('#')).length;
    expect(families.reduce((n, f) => n + f.metrics.length, 0)).to.equal(samples);
    expect(sample(families, 'fluxos_preprod_fleet_asked_nodes')).to.equal(7);
    expect(sample(families, 'fluxos_preprod_fleet_nodes', { state: 'preprod' })).to.equal(3);
    // fleet_nodes{state} is a partition: no series overlaps another, together they are the nodes asked.
    const states = families.find((f) => f.name === 'fluxos_preprod_fleet_nodes')?.metrics ?? [];
    expect(states.map((m) => m.labels?.state).sort()).to.deep.equal([
      'degraded',
      'failed',
      'preprod',
      'production',
      'unknown',
    ]);
    expect(states.reduce((n, m) => n + Number(m.value), 0)).to.equal(7);
    // A share is a _ratio; a criterion's value and threshold sit under the metric of their unit.
    for (const f of families.filter((f) => /share|probability/.test(f.name))) expect(f.name).to.match(/_ratio$/);
    expect(
      sample(families, 'fluxos_preprod_gate_criterion_hours', { criterion: 'exposure.soak-hours', of: 'threshold' }),
    ).to.equal(72);
    expect(
      sample(families, 'fluxos_preprod_gate_criterion_node_hours', {
        criterion: 'exposure.node-hours',
        of: 'threshold',
      }),
    ).to.be.above(0);
    expect(
      families.find((f) => f.name === 'fluxos_preprod_gate_criterion_ratio')?.metrics.map((m) => m.labels?.criterion),
    ).to.not.include('exposure.soak-hours');
    expect(sample(families, 'fluxos_preprod_gate_group_nodes', { group: 'production' })).to.be.a('number');
    expect(sample(families, 'fluxos_preprod_gate_dark_nodes', { group: 'release' })).to.be.a('number');
    expect(sample(families, 'fluxos_preprod_gate_fallback_nodes', { reason: 'crash-loop' })).to.equal(0);
    expect(sample(families, 'fluxos_preprod_gate_evaluation_errors_total')).to.equal(0);
    expect(sample(families, 'fluxos_preprod_fleet_nodes_by_reason', { reason: 'selected' })).to.equal(3);
    expect(sample(families, 'fluxos_preprod_fleet_nodes_by_release', { state: 'preprod', version: '8.18.0' })).to.equal(
      2,
    );
    expect(sample(families, 'fluxos_preprod_fleet_failures', { kind: 'refused' })).to.equal(1);
    expect(sample(families, 'fluxos_preprod_fleet_preprod_ratio', { bound: 'estimate' })).to.be.closeTo(0.5, 1e-9);
    expect(sample(families, 'fluxos_preprod_gate_verdict', { verdict: 'wait' })).to.equal(1);
    expect(sample(families, 'fluxos_preprod_watch_scans_total')).to.equal(1);
    // A version with a quote, a backslash and a line break stays one label value.
    const hostile = families
      .find((f) => f.name === 'fluxos_preprod_fleet_nodes_by_release')
      ?.metrics.find((m) => m.labels?.version?.startsWith('v"1'));
    expect(hostile?.labels?.version).to.equal('v"1\\?# TYPE x counter');
    expect((await get(url.replace('/metrics', '/other'))).status).to.equal(404);

    running.signal('SIGTERM');
    const result = await running.exited;
    expect(result.code, describeRun(result)).to.equal(0);
    expect(result.stderr).to.match(/fleet watch stopped\n$/);
    expect((await new FileHistory(file).read()).length).to.equal(1);
  });

  it('a SIGTERM during a slow scan stops it at once, exit 0, and the cut scan is not recorded', async () => {
    const slow = await startFakeFleet(['hang', 'preprod']);
    try {
      const file = path.join(tmp.dir, 'h.log');
      const args = ['fleet', 'watch', ...slow.targets.map((t) => `${t.host}:${t.port}`), '--timeout', '30000'];
      running = startCli([...args, '--every', '1h', '--record', `file:${file}`, '--metrics-port', '0']);
      await running.waitFor(/serving http/);
      running.signal('SIGTERM');
      const result = await running.exited;
      expect(result.code, describeRun(result)).to.equal(0);
      expect(result.stderr).to.not.match(/scan at/);
      expect(await new FileHistory(file).read()).to.deep.equal([]);
    } finally {
      await slow.close();
    }
  });

  const usage: [string, string[], RegExp][] = [
    [
      'an --every too short',
      ['--every', '5s', '--record', 'file:h.log'],
      /Expected `--every` to be a duration from 10s to 7d/,
    ],
    ['an --every without a unit', ['--every', '60', '--record', 'file:h.log'], /Expected `--every` to be a duration/],
    ['no --record', ['--every', '1h'], /Required option '--record <store>' not specified/],
    ['no target', ['--every', '1h', '--record', 'file:h.log'], /Expected at least one target/],
  ];
  for (const [name, args, sentence] of usage) {
    it(`exits 2 for ${name}`, async () => {
      const run = await runCli(['fleet', 'watch', ...(name === 'no target' ? [] : ['127.0.0.1:1']), ...args], {
        cwd: tmp.dir,
      });
      expect(run.code, describeRun(run)).to.equal(2);
      expect(errorLines(run.stderr)).to.have.length(1);
      expect(run.stderr).to.match(sentence);
    });
  }
});
