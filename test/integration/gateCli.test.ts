import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FileHistory } from '../../src/gate/history/fileHistory';
import { observe } from '../../src/gate/history/observation';
import { buildScan } from '../../src/gate/history/scanRecord';
import type { NodeResult } from '../../src/fleet/scan';
import { describeRun, errorLines, runCli, STACK_LINE } from '../support/cli';
import { makeTempDir } from '../support/tmp';

const hour = (h: number) => new Date(Date.UTC(2026, 0, 1, h)).toISOString();

/** 40 selected nodes that move to 2.0 at hour 1 and 60 production nodes, scanned hourly for `hours`. */
async function writeHistory(file: string, hours: number): Promise<void> {
  const history = new FileHistory(file);
  for (let h = 0; h < hours; h += 1) {
    const results: NodeResult[] = Array.from({ length: 100 }, (_, i) => {
      const selected = i < 40;
      const version = selected ? (h >= 1 ? '2.0' : '1.0') : '0.9';
      const kind = selected ? 'preprod' : 'production';
      const reason = selected ? 'selected' : 'not-selected';
      return {
        host: `10.0.0.${i}`,
        port: 16127,
        kind,
        ms: 1,
        version,
        commit: `c${version}00000`,
        reason,
        draw: selected ? 0 : 0.5,
        probability: 0.4,
      };
    });
    await history.append((tail) => buildScan(tail.table, results.map(observe), hour(h), tail.seq + 1));
  }
}

describe('gate (CLI)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let store: string;
  let config: string;
  before(async () => {
    tmp = makeTempDir('gate-cli-');
    store = `file:${path.join(tmp.dir, 'h.log')}`;
    await writeHistory(path.join(tmp.dir, 'h.log'), 6);
    config = path.join(tmp.dir, 'gate.json');
    const gate = {
      minSoakHours: 4,
      minPreprodNodes: 10,
      minNodeHours: 10,
      maxCrashLoopShare: 0.2,
      crashLoopHaltShare: 0.2,
      maxSwitchFailShare: 0.2,
      darkMargin: 0.2,
      darkHaltMargin: 0.2,
      darkStratumHaltMargin: 0.2,
      earlyDarkMargin: 0.2,
      // A history stamped in January 2026, judged by the clock: its last scan's age must not block promote.
      maxScanAgeHours: 876_000,
      minScansPerDay: 0,
    };
    await fs.writeFile(config, JSON.stringify({ gate }));
  });
  after(() => tmp.remove());

  it('--json prints verdict, release, criteria and the facts beside them; exit 0 on promote', async () => {
    const run = await runCli(['gate', '--history', store, '--config', config, '--json']);
    expect(run.code, describeRun(run)).to.equal(0);
    const json = JSON.parse(run.stdout);
    expect(Object.keys(json)).to.include.members(['verdict', 'release', 'criteria', 'counts', 'reachedAt', 'blocking']);
    expect(json).to.have.property('supersededBy', null);
    expect(json.counts.scans).to.be.a('number').and.above(0);
    expect(json.counts.releaseNodes).to.be.a('number').and.above(0);
    expect(json.reachedAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(json.verdict).to.equal('promote');
    expect(json.release).to.include({ version: '2.0', commit: 'c2.000000' });
    for (const criterion of json.criteria)
      expect(Object.keys(criterion)).to.deep.equal(['name', 'met', 'value', 'threshold']);
  });

  it('exits 3 (wait) during the soak, for a release never seen, and before the first scan', async () => {
    for (const extra of [
      ['--at', hour(3)],
      ['--release', '9.9'],
      ['--at', '2025-01-01T00:00:00Z'],
    ]) {
      const run = await runCli(['gate', '--history', store, '--config', config, ...extra]);
      expect(run.code, describeRun(run)).to.equal(3);
      expect(run.stdout).to.match(/^verdict: {3}WAIT/);
    }
  });

  it('exits 3 on an empty (missing) history', async () => {
    const run = await runCli(['gate', '--history', `file:${path.join(tmp.dir, 'none.log')}`, '--json']);
    expect(run.code, describeRun(run)).to.equal(3);
    expect(JSON.parse(run.stdout)).to.deep.include({
      verdict: 'wait',
      release: { version: null, commit: null, matched: null },
    });
  });

  it('exits 4 with one sentence when the history cannot be read', async () => {
    const notHistory = path.join(tmp.dir, 'notes.txt');
    await fs.writeFile(notHistory, 'hello\nworld\n');
    for (const file of [notHistory, tmp.dir]) {
      const run = await runCli(['gate', '--history', `file:${file}`, '--json']);
      expect(run.code, describeRun(run)).to.equal(4);
      expect(run.stdout).to.equal('');
      expect(errorLines(run.stderr)).to.have.length(1);
      expect(run.stderr).to.match(/^fluxos-preprod: Cannot read the history file /);
      expect(run.stderr).to.not.match(STACK_LINE);
    }
  });

  const usage: [string, string[], RegExp][] = [
    ['no --history', ['gate'], /Required option '--history <store>' not specified/],
    [
      'two formats',
      ['gate', '--history', 'file:x', '--json', '--markdown'],
      /Give one of --json, --markdown or --html FILE/,
    ],
    ['a bad store', ['gate', '--history', 'x.log'], /Expected `--history` to be file:PATH or mongodb:/],
    ['a bad --at', ['gate', '--history', 'file:x', '--at', 'yesterday'], /Expected `--at` to be an ISO-8601 time/],
    [
      'an empty --release',
      ['gate', '--history', 'file:x', '--release', ''],
      /Expected `--release` to be a version or a commit prefix/,
    ],
  ];
  for (const [name, args, sentence] of usage) {
    it(`exits 2 for ${name}`, async () => {
      const run = await runCli(args, { cwd: tmp.dir });
      expect(run.code, describeRun(run)).to.equal(2);
      expect(errorLines(run.stderr)).to.have.length(1);
      expect(run.stderr).to.match(sentence);
    });
  }

  it('exits 2 for a bad gate setting, naming it', async () => {
    const bad = path.join(tmp.dir, 'bad.json');
    await fs.writeFile(bad, JSON.stringify({ gate: { confidence: 2 } }));
    const run = await runCli(['gate', '--history', store, '--config', bad]);
    expect(run.code, describeRun(run)).to.equal(2);
    expect(errorLines(run.stderr)).to.deep.equal([
      'fluxos-preprod: Expected `gate.confidence` to be a number from 0.5 to below 1, got 2.',
    ]);
  });
});

describe('simulate --releases (CLI)', () => {
  it('prints the table of runs judged by the gate, and exits 0 when every target is met', async function () {
    this.timeout(120_000);
    const args = ['simulate', '--releases', '--runs', '2', '--nodes', '3000', '--probability', '0.4', '--harm', '0.1'];
    const run = await runCli(args, { timeoutMs: 110_000 });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(run.stdout).to.match(/^\| setup \| release judged \| halted, any look \| halted ≤ 24 h \|/m);
    for (const name of ['healthy', 'darken 10%', 'crash-loop 10%'])
      expect(run.stdout).to.match(new RegExp(`^\\| current setup \\(.*\\) \\| ${name} \\|`, 'm'));
    expect(run.stdout.match(/PASS /g)).to.have.length(6);
    expect(run.stdout).to.not.match(/FAIL /);
    const json = await runCli([...args, '--json'], { timeoutMs: 110_000 });
    expect(JSON.parse(json.stdout).scenarios).to.have.length(3);
  });

  it('still asks for --nodes and --months without --releases', async () => {
    const run = await runCli(['simulate', '--months', '1']);
    expect(run.code, describeRun(run)).to.equal(2);
    expect(errorLines(run.stderr)).to.deep.equal(["fluxos-preprod: Required option '--nodes <n>' not specified."]);
  });
});
