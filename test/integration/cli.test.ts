/**
 * The CLI as a user runs it: `node build/src/cli.js <command>` in a real
 * process, against a real git bed and file stores (docs/design.md §8). Exit codes,
 * stdout/stderr shape and what each command leaves on disk are the contract.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  bytesOrNull,
  describeRun,
  errorLines,
  exists,
  modulesLoadedBy,
  runCli,
  STACK_LINE,
  startCli,
  writeSettingsFile,
  type CliResult,
  type RunningCli,
} from '../support/cli';
import { createGitBed, type GitBed } from '../support/gitBed';
import type { BootResult } from '../../src/boot/service';
import type { SimulationReport } from '../../src/cohort/simulate';

const DAY_MS = 86_400_000;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * The one JSON document on stdout; fails the test when stdout holds anything else. Typed as the document
 * the command prints (by default boot's and status's), which the assertions then check.
 */
function jsonOf<T = BootResult>(run: CliResult): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(run.stdout);
  } catch (error) {
    throw new Error(`stdout is not exactly one JSON document (${(error as Error).message}):\n${describeRun(run)}`);
  }
  expect(parsed, 'stdout is a JSON object').to.be.an('object').and.not.be.an('array');
  return parsed as T;
}

function expectNoStackTrace(run: CliResult): void {
  expect(run.stderr, `a stack trace on stderr:\n${describeRun(run)}`).not.to.match(STACK_LINE);
  expect(run.stdout, `a stack trace on stdout:\n${describeRun(run)}`).not.to.match(STACK_LINE);
}

/** The cohort of a boot or status result; fails the test when there is none. */
function cohortOf(result: BootResult): NonNullable<BootResult['cohort']> {
  expect(result.cohort, 'a cohort').to.be.an('object');
  return result.cohort as NonNullable<BootResult['cohort']>;
}

/** The docs/design.md §8 fields of boot --json / status --json, with their types. */
function expectBootShape(result: BootResult): void {
  expect(result).to.include.keys('mode', 'preProdNode', 'reason', 'branch', 'cohort', 'restart');
  expect(result.mode).to.be.oneOf(['preprod', 'production', 'skipped']);
  expect(result.preProdNode).to.be.a('boolean');
  expect(result.reason).to.be.a('string');
  expect(result.branch).to.have.all.keys('before', 'after', 'switched');
  expect(result.branch.switched).to.be.a('boolean');
  expect(result.restart).to.be.oneOf(['none', 'nodemon', 'exit']);
  if (result.cohort !== null) {
    expect(result.cohort).to.include.all.keys('draw', 'probability', 'rolledAt', 'nextRollAt', 'rolled');
    expect(result.cohort.rolledAt).to.match(ISO);
    expect(result.cohort.nextRollAt).to.match(ISO);
    expect(result.cohort.rolled).to.be.a('boolean');
  }
}

describe('CLI end to end (node build/src/cli.js)', function () {
  this.timeout(60_000);
  let bed: GitBed;
  let selectAll: string;
  let selectNone: string;
  let nodeCount = 0;

  before(async () => {
    bed = await createGitBed();
    selectAll = await writeSettingsFile(bed.dir, 'select-all.json', { remote: bed.upstream, probability: 1 });
    selectNone = await writeSettingsFile(bed.dir, 'select-none.json', { remote: bed.upstream, probability: 0 });
  });
  after(async () => {
    await bed?.cleanup();
  });

  /** A fresh checkout on master and the path of its (not yet existing) file store. */
  async function freshNode(label: string): Promise<{ dir: string; storeFile: string; store: string }> {
    nodeCount += 1;
    const dir = await bed.cloneNode(`${label}-${nodeCount}`);
    const storeFile = path.join(bed.dir, `${label}-${nodeCount}.state.json`);
    return { dir, storeFile, store: `file:${storeFile}` };
  }

  const branchOf = (dir: string) => bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD');
  const headOf = (dir: string) => bed.git(dir, 'rev-parse', 'HEAD');

  describe('boot', () => {
    it('boot --json prints one JSON object with the §8 fields, exits 0 and moves the checkout', async () => {
      const node = await freshNode('boot');
      const run = await runCli(['boot', '--repo', node.dir, '--store', node.store, '--config', selectAll, '--json']);
      expect(run.code, describeRun(run)).to.equal(0);
      expectNoStackTrace(run);
      const result = jsonOf(run);
      expectBootShape(result);
      expect(result.mode).to.equal('preprod');
      expect(result.preProdNode).to.equal(true);
      expect(result.reason).to.equal('selected');
      expect(result.branch).to.deep.equal({ before: 'master', after: 'preprod', switched: true });
      expect(cohortOf(result).draw).to.be.a('number').within(0, 1).and.below(1);
      expect(cohortOf(result).probability).to.equal(1);
      expect(cohortOf(result).rolled).to.equal(true);
      expect(Date.parse(cohortOf(result).nextRollAt) - Date.parse(cohortOf(result).rolledAt)).to.equal(30 * DAY_MS);
      expect(Math.abs(Date.parse(cohortOf(result).rolledAt) - Date.now())).to.be.below(60_000);
      expect(await branchOf(node.dir)).to.equal('preprod');
      expect(await headOf(node.dir)).to.equal(await bed.preprodTip());
      expect(await exists(node.storeFile), 'the draw is stored').to.equal(true);
    });

    it('a second boot is a no-op: same draw, no switch, HEAD unchanged', async () => {
      const node = await freshNode('again');
      const first = jsonOf(
        await runCli(['boot', '--repo', node.dir, '--store', node.store, '--config', selectAll, '--json']),
      );
      const headBefore = await headOf(node.dir);
      const run = await runCli(['boot', '--repo', node.dir, '--store', node.store, '--config', selectAll, '--json']);
      expect(run.code, describeRun(run)).to.equal(0);
      const second = jsonOf(run);
      expectBootShape(second);
      expect(second.branch).to.deep.equal({ before: 'preprod', after: 'preprod', switched: false });
      expect(second.mode).to.equal('preprod');
      expect(cohortOf(second).rolled).to.equal(false);
      expect(cohortOf(second).draw).to.equal(cohortOf(first).draw);
      expect(cohortOf(second).rolledAt).to.equal(cohortOf(first).rolledAt);
      expect(second.restart).to.equal('none');
      expect(await headOf(node.dir)).to.equal(headBefore);
    });

    it(
      'without --restart the CLI restarts nothing: restart "none", and the human output says a restart is ' +
        'required',
      async () => {
        const node = await freshNode('norestart');
        const run = await runCli(['boot', '--repo', node.dir, '--store', node.store, '--config', selectAll]);
        expect(run.code, describeRun(run)).to.equal(0);
        expectNoStackTrace(run);
        expect(run.stdout).to.match(/^mode:\s+preprod \(selected\)$/m);
        expect(run.stdout).to.match(/^restart:\s+required/m);
        expect(await branchOf(node.dir)).to.equal('preprod');

        const other = await freshNode('norestart-json');
        const json = jsonOf(
          await runCli(['boot', '--repo', other.dir, '--store', other.store, '--config', selectAll, '--json']),
        );
        expect(json.branch.switched).to.equal(true);
        expect(json.restart).to.equal('none');
      },
    );

    it('--restart exit is reported, and the CLI itself still exits 0 (it is not FluxOS)', async () => {
      const node = await freshNode('restart-exit');
      const run = await runCli([
        'boot',
        '--repo',
        node.dir,
        '--store',
        node.store,
        '--config',
        selectAll,
        '--restart',
        'exit',
        '--json',
      ]);
      expect(run.code, describeRun(run)).to.equal(0);
      const result = jsonOf(run);
      expect(result.branch.switched).to.equal(true);
      expect(result.restart).to.equal('exit');
    });

    it('a node not selected stays on master (production, not-selected)', async () => {
      const node = await freshNode('notsel');
      const run = await runCli(['boot', '--repo', node.dir, '--store', node.store, '--config', selectNone, '--json']);
      expect(run.code, describeRun(run)).to.equal(0);
      const result = jsonOf(run);
      expectBootShape(result);
      expect(result).to.include({ mode: 'production', preProdNode: false, reason: 'not-selected' });
      expect(result.branch).to.deep.equal({ before: 'master', after: 'master', switched: false });
      expect(await branchOf(node.dir)).to.equal('master');
    });
  });

  describe('status changes nothing', () => {
    /** Everything status could touch: the store file and its lock, HEAD, the index, the branch refs. */
    async function snapshot(dir: string, storeFile: string) {
      return {
        store: await bytesOrNull(storeFile),
        storeLock: await exists(`${storeFile}.lock`),
        storeDir: await exists(path.dirname(storeFile)),
        head: await headOf(dir),
        headFile: await bytesOrNull(path.join(dir, '.git', 'HEAD')),
        index: await bytesOrNull(path.join(dir, '.git', 'index')),
        refs: await bed.git(dir, 'for-each-ref', '--format=%(refname) %(objectname)'),
        bootLock: await exists(path.join(dir, '.git', 'fluxos-preprod.lock')),
      };
    }

    const cases: {
      name: string;
      prepare: () => Promise<{ dir: string; storeFile: string; store: string }>;
      expectMode: string;
      expectDraw: 'stored' | 'none';
    }[] = [
      {
        name: 'on a preprod node after a boot',
        prepare: async () => {
          const node = await freshNode('status-pre');
          const boot = await runCli([
            'boot',
            '--repo',
            node.dir,
            '--store',
            node.store,
            '--config',
            selectAll,
            '--json',
          ]);
          expect(boot.code, describeRun(boot)).to.equal(0);
          return node;
        },
        expectMode: 'preprod',
        expectDraw: 'stored',
      },
      {
        name: 'on a node with no record yet (the store file must not be created)',
        prepare: () => freshNode('status-new'),
        expectMode: 'production',
        expectDraw: 'none',
      },
      {
        name: 'on a node whose store is in a directory that does not exist (no directory is created)',
        prepare: async () => {
          const node = await freshNode('status-nodir');
          const storeFile = path.join(bed.dir, 'no-such-dir', 'deeper', 'state.json');
          return { ...node, storeFile, store: `file:${storeFile}` };
        },
        expectMode: 'production',
        expectDraw: 'none',
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const node = await c.prepare();
        const before = await snapshot(node.dir, node.storeFile);
        const runs = [
          await runCli(['status', '--repo', node.dir, '--store', node.store, '--config', selectAll, '--json']),
          await runCli(['status', '--repo', node.dir, '--store', node.store, '--config', selectAll]),
        ];
        for (const run of runs) {
          expect(run.code, describeRun(run)).to.equal(0);
          expectNoStackTrace(run);
        }
        const result = jsonOf(runs[0]);
        expectBootShape(result);
        expect(result.mode).to.equal(c.expectMode);
        expect(result.branch.switched).to.equal(false);
        if (c.expectDraw === 'stored') {
          expect(cohortOf(result).draw).to.be.a('number');
          expect(cohortOf(result).rolled).to.equal(false);
        } else {
          expect(cohortOf(result).draw, 'status never draws').to.equal(null);
          expect(before.store).to.equal(null);
        }
        expect(runs[1].stdout).to.match(/^mode:\s+/m);
        const after = await snapshot(node.dir, node.storeFile);
        expect(after.store === null ? null : after.store.toString('hex')).to.equal(
          before.store === null ? null : before.store.toString('hex'),
        );
        expect(after).to.deep.equal(before);
      });
    }
  });

  describe('healthy', () => {
    it('marks a preprod boot healthy (exit 0), then has nothing to clear (exit 0)', async () => {
      const node = await freshNode('healthy');
      const boot = await runCli(['boot', '--repo', node.dir, '--store', node.store, '--config', selectAll, '--json']);
      expect(jsonOf(boot).mode).to.equal('preprod');
      // The switching boot ran master's code; the boot after it runs preprod's, and is the one to mark.
      await runCli(['boot', '--repo', node.dir, '--store', node.store, '--config', selectAll, '--json']);
      const first = await runCli(['healthy', '--repo', node.dir, '--store', node.store]);
      expect(first.code, describeRun(first)).to.equal(0);
      expectNoStackTrace(first);
      expect(first.stdout).to.match(/^marked healthy/);
      const second = await runCli(['healthy', '--repo', node.dir, '--store', node.store]);
      expect(second.code, describeRun(second)).to.equal(0);
      expect(second.stdout).to.match(/^nothing to clear/);
    });
  });

  describe('tracked-version', () => {
    const cases = [
      { name: 'a preprod node tracks preprod: 1.1.0', settings: () => selectAll, branch: 'preprod', version: '1.1.0' },
      { name: 'a master node tracks master: 1.0.0', settings: () => selectNone, branch: 'master', version: '1.0.0' },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const node = await freshNode(`tracked-${c.branch}`);
        await runCli(['boot', '--repo', node.dir, '--store', node.store, '--config', c.settings(), '--json']);
        expect(await branchOf(node.dir)).to.equal(c.branch);
        const run = await runCli(['tracked-version', '--repo', node.dir, '--config', c.settings(), '--json']);
        expect(run.code, describeRun(run)).to.equal(0);
        expectNoStackTrace(run);
        expect(jsonOf(run)).to.deep.equal({
          branch: c.branch,
          remote: 'origin',
          commit: await bed.tip(c.branch),
          version: c.version,
        });
        const plain = await runCli(['tracked-version', '--repo', node.dir, '--config', c.settings()]);
        expect(plain.code, describeRun(plain)).to.equal(0);
        expect(plain.stdout).to.equal(`${c.version}\n`);
      });
    }
  });

  describe('simulate', () => {
    // Its speed is measured by bench/simulate.bench.ts, not asserted here: CI is a shared machine.
    it('13,000 nodes over 12 months: byte-identical across runs, about 910 ± 120 on preprod every month', async () => {
      const args = ['simulate', '--nodes', '13000', '--months', '12', '--seed', '1', '--json'];
      const first = await runCli(args);
      const second = await runCli(args);
      expect(first.code, describeRun(first)).to.equal(0);
      expect(second.code, describeRun(second)).to.equal(0);
      expect(second.stdout).to.equal(first.stdout);
      const report = jsonOf<SimulationReport>(first);
      expect(report.months).to.have.length(12);
      for (const month of report.months) {
        for (const value of [month.preprod, month.preprodMin, month.preprodMax]) {
          expect(value, `month ${month.month}`).to.be.within(790, 1030);
        }
      }
    });
  });

  describe('fleet', () => {
    let servers: RunningCli[] = [];
    let targets: string[] = [];

    before(async () => {
      const preprod = await freshNode('fleet-pre');
      const production = await freshNode('fleet-prod');
      servers = [
        startCli(['serve', '--repo', preprod.dir, '--store', preprod.store, '--config', selectAll, '--port', '0']),
        startCli([
          'serve',
          '--repo',
          production.dir,
          '--store',
          production.store,
          '--config',
          selectNone,
          '--port',
          '0',
        ]),
      ];
      const urls = await Promise.all(servers.map((s) => s.waitFor(/^serving (http:\/\/\S+)$/m)));
      targets = urls.map((match) => new URL(match[1]).host);
    });
    after(async () => {
      for (const server of servers) server.signal('SIGTERM');
      await Promise.all(servers.map((s) => s.exited));
    });

    it('--json counts one preprod and one production node', async () => {
      const run = await runCli(['fleet', ...targets, '--config', selectAll, '--timeout', '3000', '--json']);
      expect(run.code, describeRun(run)).to.equal(0);
      expectNoStackTrace(run);
      const summary = jsonOf<{ share: { value: number } }>(run);
      expect(summary).to.include({
        asked: 2,
        answered: 2,
        preprod: 1,
        production: 1,
        unknown: 0,
        failedTotal: 0,
        probability: 1,
      });
      expect(summary.share.value).to.equal(0.5);
    });

    it('--prom prints the Prometheus exposition of the same counts', async () => {
      const run = await runCli(['fleet', ...targets, '--timeout', '3000', '--prom']);
      expect(run.code, describeRun(run)).to.equal(0);
      expect(run.stdout).to.match(/^fluxos_preprod_nodes_asked 2$/m);
      expect(run.stdout).to.match(/^fluxos_preprod_nodes\{state="preprod"\} 1$/m);
      expect(run.stdout).to.match(/^fluxos_preprod_nodes\{state="production"\} 1$/m);
      expect(run.stdout).to.match(/^# TYPE fluxos_preprod_share_ratio gauge$/m);
      for (const line of run.stdout.trimEnd().split('\n')) {
        expect(line, 'every line is a comment or a sample').to.match(
          /^(# (HELP|TYPE) \S+ .+|fluxos_preprod_[a-z_]+(\{[^}]*\})? (\S+))$/,
        );
      }
    });

    it('the table counts them too', async () => {
      const run = await runCli(['fleet', ...targets, '--timeout', '3000']);
      expect(run.code, describeRun(run)).to.equal(0);
      expect(run.stdout).to.match(/asked 2, answered 2/);
      expect(run.stdout).to.match(/^\s+preprod\s+1$/m);
      expect(run.stdout).to.match(/^\s+production\s+1$/m);
    });
  });

  describe('--help', () => {
    const commands = ['boot', 'status', 'healthy', 'serve', 'fleet', 'simulate', 'tracked-version', 'demo'];
    for (const command of commands) {
      it(`${command} --help exits 0 and prints its usage`, async () => {
        const run = await runCli([command, '--help']);
        expect(run.code, describeRun(run)).to.equal(0);
        expect(run.stdout).to.match(new RegExp(`^Usage: fluxos-preprod ${command} `));
        expect(run.stdout).to.match(/--help/);
        expect(run.stderr).to.equal('');
      });
    }
    it('--help lists every command, --version prints the package version', async () => {
      const help = await runCli(['--help']);
      expect(help.code, describeRun(help)).to.equal(0);
      for (const command of commands) expect(help.stdout).to.match(new RegExp(`^\\s+${command}\\b`, 'm'));
      const version = await runCli(['--version']);
      expect(version.code, describeRun(version)).to.equal(0);
      const pkg = JSON.parse(await fs.readFile(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
        version: string;
      };
      expect(version.stdout).to.equal(`${pkg.version}\n`);
    });
  });

  describe('start cost: what a command loads', () => {
    // Paths the quick commands must not load: the scan (fleet/limits only holds the defaults shown in
    // help), the gate, the boot, the store adapters, the demo, and the libraries behind them.
    const heavy = [
      /\/build\/src\/fleet\/(?!limits\.js$)/,
      /\/build\/src\/gate\//,
      /\/build\/src\/boot\//,
      /\/build\/src\/state\/(?!storeUrl\.js$)/,
      /\/build\/src\/cli\/demo\.js$/,
      /\/node_modules\/(mongodb|cli-progress|winston|acorn)\//,
    ];
    const gitAdapter = [/\/build\/src\/checkout\/repository\.js$/, /\/node_modules\/simple-git\//];

    function loadedOf(modules: string[], patterns: RegExp[]): string[] {
      return modules.filter((file) => patterns.some((pattern) => pattern.test(file.split(path.sep).join('/'))));
    }

    it('--help loads no command code: no scan, gate, boot, store adapter, demo, git adapter or MongoDB', async () => {
      const probe = await modulesLoadedBy(['--help']);
      expect(probe.code).to.equal(0);
      expect(probe.modules.some((file) => file.endsWith(`${path.sep}main.js`))).to.equal(true);
      expect(loadedOf(probe.modules, [...heavy, ...gitAdapter])).to.deep.equal([]);
    });

    it('tracked-version loads the git adapter, and nothing of the scan, gate, boot, stores or MongoDB', async () => {
      const node = await freshNode('tracked-cost');
      const probe = await modulesLoadedBy(['tracked-version', '--repo', node.dir, '--config', selectNone]);
      expect(probe.code).to.equal(0);
      expect(loadedOf(probe.modules, gitAdapter)).to.have.length(2);
      expect(loadedOf(probe.modules, heavy)).to.deep.equal([]);
    });
  });

  describe('exit codes and error messages', () => {
    interface ExitCase {
      name: string;
      args: () => Promise<string[]>;
      code: number;
      /** The exact stderr, when the contract fixes it. */
      stderr?: string;
      /** A pattern the one error sentence must match. */
      sentence?: RegExp;
      /** With --json: the reason on stdout. */
      reason?: string;
      timeoutMs?: number;
    }
    const cases: ExitCase[] = [
      { name: 'unknown option → 2', args: async () => ['boot', '--bogus'], code: 2, sentence: /--bogus/ },
      { name: 'unknown command → 2', args: async () => ['nosuch'], code: 2, sentence: /nosuch/ },
      {
        name: 'missing required option → 2',
        args: async () => ['simulate', '--months', '1'],
        code: 2,
        sentence: /--nodes/,
      },
      { name: 'option without its value → 2', args: async () => ['status', '--repo'], code: 2, sentence: /--repo/ },
      {
        name: 'bad number --nodes abc → 2',
        args: async () => ['simulate', '--nodes', 'abc', '--months', '1'],
        code: 2,
        sentence: /^fluxos-preprod: Expected `--nodes` to be a whole number from 1 to 1000000, got 'abc'\.$/,
      },
      {
        name: 'bad number --months 1e3 → 2',
        args: async () => ['simulate', '--nodes', '10', '--months', '1e3'],
        code: 2,
        sentence: /`--months`/,
      },
      {
        name: '--port 70000 → 2',
        args: async () => ['serve', '--port', '70000'],
        code: 2,
        sentence: /^fluxos-preprod: Expected `--port` to be a whole number from 0 to 65535, got '70000'\.$/,
      },
      {
        name: '--restart sometimes → 2',
        args: async () => ['boot', '--restart', 'sometimes'],
        code: 2,
        sentence: /sometimes/,
      },
      {
        name: '--probability 1.5 on simulate → 2',
        args: async () => ['simulate', '--nodes', '10', '--months', '1', '--probability', '1.5'],
        code: 2,
        sentence: /`--probability`/,
      },
      {
        name: 'fleet --json --prom → 2',
        args: async () => ['fleet', '127.0.0.1', '--json', '--prom'],
        code: 2,
        sentence: /--json or --prom/,
      },
      { name: 'fleet without targets → 2', args: async () => ['fleet'], code: 2, sentence: /at least one target/ },
      {
        name: 'bad --store URL → 2',
        args: async () => ['status', '--store', 'redis://x'],
        code: 2,
        sentence: /`--store`/,
      },
      {
        name: '--config with probability 1.5 → 2, one exact sentence',
        args: async () => {
          const node = await freshNode('badconfig');
          const file = await writeSettingsFile(bed.dir, 'p15.json', { remote: bed.upstream, probability: 1.5 });
          return ['boot', '--repo', node.dir, '--store', node.store, '--config', file, '--json'];
        },
        code: 2,
        stderr: 'fluxos-preprod: Expected `preProd.probability` to be a number from 0 to 1, got 1.5.\n',
      },
      {
        name: '--config with probability 1.5 → 2 for status too',
        args: async () => {
          const file = await writeSettingsFile(bed.dir, 'p15b.json', { remote: bed.upstream, probability: 1.5 });
          return [
            'status',
            '--repo',
            bed.dir,
            '--store',
            `file:${path.join(bed.dir, 'p15b.state.json')}`,
            '--config',
            file,
          ];
        },
        code: 2,
        stderr: 'fluxos-preprod: Expected `preProd.probability` to be a number from 0 to 1, got 1.5.\n',
      },
      {
        name: '--config that is not JSON → 2',
        args: async () => {
          const file = path.join(bed.dir, 'broken.json');
          await fs.writeFile(file, '{"preProd": {"probability": 0.1,,}}');
          return [
            'boot',
            '--repo',
            bed.dir,
            '--store',
            `file:${path.join(bed.dir, 'broken.state.json')}`,
            '--config',
            file,
          ];
        },
        code: 2,
        sentence: /^fluxos-preprod: Cannot read config file .*broken\.json: invalid JSON/,
      },
      {
        name: 'broken userconfig.js → 2',
        args: async () => {
          const node = await freshNode('badusercfg');
          await fs.writeFile(path.join(node.dir, 'config', 'userconfig.js'), 'module.exports = { initial: {\n');
          return ['boot', '--repo', node.dir, '--store', node.store, '--config', selectAll, '--json'];
        },
        code: 2,
        sentence: /^fluxos-preprod: Cannot load .*userconfig\.js: syntax error/,
      },
      {
        name: 'boot with an unreachable MongoDB → 1, store-unavailable, stdout still one JSON object',
        args: async () => {
          const node = await freshNode('nomongo');
          return ['boot', '--repo', node.dir, '--store', 'mongodb://127.0.0.1:1/x', '--config', selectAll, '--json'];
        },
        code: 1,
        reason: 'store-unavailable',
        timeoutMs: 20_000,
      },
      {
        name: 'status with an unreachable MongoDB → 1, store-unavailable',
        args: async () => {
          const node = await freshNode('nomongo-status');
          return ['status', '--repo', node.dir, '--store', 'mongodb://127.0.0.1:1/x', '--config', selectAll, '--json'];
        },
        code: 1,
        reason: 'store-unavailable',
        timeoutMs: 20_000,
      },
      {
        name: 'healthy with an unreachable MongoDB → 1',
        args: async () => ['healthy', '--repo', bed.dir, '--store', 'mongodb://127.0.0.1:1/x'],
        code: 1,
        sentence: /^fluxos-preprod: .*MongoDB/,
        timeoutMs: 20_000,
      },
      {
        name: 'healthy with a corrupt state file → 1, not "nothing to clear"',
        args: async () => {
          const file = path.join(bed.dir, 'corrupt.state.json');
          await fs.writeFile(file, '{"isPreProd": {"value": tru');
          return ['healthy', '--repo', bed.dir, '--store', `file:${file}`];
        },
        code: 1,
      },
      {
        name: 'tracked-version on a checkout without the configured remote → 1',
        args: async () => {
          const node = await freshNode('noremote');
          const other = await writeSettingsFile(bed.dir, 'other-remote.json', {
            remote: 'https://example.invalid/other/flux.git',
          });
          return ['tracked-version', '--repo', node.dir, '--config', other, '--json'];
        },
        code: 1,
        sentence: /^fluxos-preprod: No remote of .* fetches from https:\/\/example\.invalid\/other\/flux\.git\.$/,
      },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const args = await c.args();
        const run = await runCli(args, { timeoutMs: c.timeoutMs ?? 15_000 });
        expect(run.code, describeRun(run)).to.equal(c.code);
        expectNoStackTrace(run);
        if (c.stderr !== undefined) expect(run.stderr).to.equal(c.stderr);
        const lines = errorLines(run.stderr);
        if (c.reason !== undefined) {
          expect(jsonOf(run).reason).to.equal(c.reason);
          expect(lines, 'with --json, stderr holds log lines or one error sentence').to.have.length.at.most(1);
        } else {
          expect(lines, `exactly one error sentence on stderr:\n${describeRun(run)}`).to.have.length(1);
          expect(lines[0], 'errors say who is talking').to.match(/^fluxos-preprod: \S/);
          expect(lines[0], 'one sentence: a capital letter after the prefix, a full stop at the end').to.match(
            /^fluxos-preprod: [A-Z`].*[.)]$/,
          );
          if (c.sentence) expect(lines[0]).to.match(c.sentence);
          if (c.code === 2) expect(run.stdout, 'bad usage prints nothing on stdout').to.equal('');
        }
      });
    }
  });
});
