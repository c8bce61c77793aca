import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as sinon from 'sinon';
import {
  ANCESTOR_DEPTH,
  detectRestartStrategy,
  isNodemonCommand,
  parentPidFromStat,
  readProcessContext,
  resolveRestartStrategy,
  triggerRestart,
  type ProcessContext,
  type ResolvedRestart,
} from '../../src/restart/strategy';
import type { RestartStrategy } from '../../src/types';
import { makeTempDir } from '../support/tmp';

// Command lines as /proc shows them on a legacy node: pm2 → npm start → sh -c … → npm run flux → sh -c nodemon app.js
// → nodemon → node app.js.
const NODEMON = 'node /home/flux/zelflux/node_modules/.bin/nodemon app.js';
const NPM_RUN_FLUX = 'npm run flux';
const SH_NODEMON = 'sh -c nodemon app.js';

function logCapture() {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { lines, logger: { error: push('error'), warn: push('warn'), info: push('info'), debug: push('debug') } };
}

describe('restart', function () {
  describe('isNodemonCommand', function () {
    const cases: [string, string, boolean][] = [
      ['node running the .bin link', NODEMON, true],
      ['node running the package script', '/usr/bin/node /usr/lib/node_modules/nodemon/bin/nodemon.js app.js', true],
      [
        'node with options before the script',
        'node --max-old-space-size=4096 -r ./preload.js /x/node_modules/.bin/nodemon app.js',
        true,
      ],
      ['a versioned node binary', '/opt/node20/bin/node20 /x/.bin/nodemon app.js', true],
      ['nodemon as the program itself', '/usr/local/bin/nodemon app.js', true],
      ['the app nodemon runs', 'node app.js', false],
      ['a preload whose name says nodemon is not the script', 'node --require /x/nodemon-hook.js server.js', false],
      ['a path that merely contains nodemon', 'node /home/nodemon/zelflux/app.js', false],
      ['an editor on nodemon.json', 'vim nodemon.json', false],
      ['a shell whose command starts nodemon is the shell, not nodemon', SH_NODEMON, false],
      ['npm', NPM_RUN_FLUX, false],
      ['an empty command line (kernel thread, or gone)', '', false],
      ['node with only options', 'node --inspect', false],
    ];
    for (const [name, command, expected] of cases) {
      it(`${name}: ${JSON.stringify(command)} → ${expected}`, function () {
        expect(isNodemonCommand(command)).to.equal(expected);
      });
    }
  });

  describe('resolveRestartStrategy', function () {
    const cases: {
      name: string;
      strategy: RestartStrategy;
      context: ProcessContext;
      expected: ResolvedRestart;
      why: RegExp;
    }[] = [
      {
        name: 'nodemon as the direct parent (legacy FluxOS)',
        strategy: 'auto',
        context: { ancestors: [NODEMON, SH_NODEMON, NPM_RUN_FLUX], env: {} },
        expected: 'nodemon',
        why: /^nodemon is ancestor 1 /,
      },
      {
        name: 'nodemon behind `sh -c` (nodemon --spawn or exec)',
        strategy: 'auto',
        context: {
          ancestors: ['sh -c node app.js || exit 1', 'node /x/node_modules/nodemon/bin/nodemon.js', 'bash'],
          env: {},
        },
        expected: 'nodemon',
        why: /^nodemon is ancestor 2 /,
      },
      {
        name: 'nodemon running npm, which runs the app through sh',
        strategy: 'auto',
        context: {
          ancestors: ['sh -c node app.js', 'npm run start:app', 'node /x/.bin/nodemon --exec npm run start:app'],
          env: {},
        },
        expected: 'nodemon',
        why: /^nodemon is ancestor 3 /,
      },
      {
        name: 'nodemon wins over pm2 variables, which its child inherits',
        strategy: 'auto',
        context: { ancestors: [NODEMON, SH_NODEMON, NPM_RUN_FLUX], env: { pm_id: '0', INVOCATION_ID: 'abc' } },
        expected: 'nodemon',
        why: /^nodemon is ancestor 1 /,
      },
      {
        name: `nodemon further up than ${ANCESTOR_DEPTH} levels is watching something else`,
        strategy: 'auto',
        context: { ancestors: ['sh -c node app.js', 'npm start', 'sh -c npm start', NODEMON], env: {} },
        expected: 'none',
        why: /^no nodemon parent/,
      },
      {
        name: 'pm2 (pm_id set, even to 0)',
        strategy: 'auto',
        context: { ancestors: ['PM2 v5.3.0: God Daemon (/root/.pm2)'], env: { pm_id: '0' } },
        expected: 'exit',
        why: /pm_id/,
      },
      {
        name: 'a systemd service (INVOCATION_ID set)',
        strategy: 'auto',
        context: { ancestors: [], env: { INVOCATION_ID: '0123456789abcdef' } },
        expected: 'exit',
        why: /INVOCATION_ID/,
      },
      {
        name: 'ArcaneOS (FLUXOS_PATH set)',
        strategy: 'auto',
        context: { ancestors: [], env: { FLUXOS_PATH: '/dat/usr/lib/fluxos' } },
        expected: 'exit',
        why: /FLUXOS_PATH/,
      },
      {
        name: 'an empty FLUXOS_PATH or INVOCATION_ID says nothing',
        strategy: 'auto',
        context: { ancestors: ['bash'], env: { FLUXOS_PATH: '', INVOCATION_ID: '' } },
        expected: 'none',
        why: /^no nodemon parent/,
      },
      {
        name: 'an operator shell, nothing that would restart us',
        strategy: 'auto',
        context: { ancestors: ['-bash', 'sshd: flux@pts/0'], env: { HOME: '/home/flux' } },
        expected: 'none',
        why: /^no nodemon parent/,
      },
      {
        name: 'no /proc (not Linux) and no variables',
        strategy: 'auto',
        context: { ancestors: [], env: {} },
        expected: 'none',
        why: /^no nodemon parent/,
      },
      ...(['none', 'nodemon', 'exit'] as const).map((strategy) => ({
        name: `'${strategy}' configured is kept whatever the process chain says`,
        strategy,
        context: { ancestors: [NODEMON], env: { FLUXOS_PATH: '/x' } },
        expected: strategy,
        why: /^configured$/,
      })),
    ];
    for (const testCase of cases) {
      it(`${testCase.name} → ${testCase.expected}`, function () {
        expect(resolveRestartStrategy(testCase.strategy, testCase.context)).to.equal(testCase.expected);
        const detection = detectRestartStrategy(testCase.strategy, testCase.context);
        expect(detection.strategy).to.equal(testCase.expected);
        expect(detection.why).to.match(testCase.why);
      });
    }
  });

  describe('parentPidFromStat', function () {
    const cases: [string, string, number | null][] = [
      ['a plain name', '4242 (node) S 4100 4242 4100 0 -1 4194304', 4100],
      ['a name with spaces and parentheses', '4242 (my (odd) name) S 77 4242 4100 0', 77],
      ['init', '1 (systemd) S 0 1 1 0', 0],
      ['garbage', 'not a stat line', null],
    ];
    for (const [name, stat, expected] of cases) {
      it(`${name} → ${expected}`, function () {
        expect(parentPidFromStat(stat)).to.equal(expected);
      });
    }
  });

  describe('readProcessContext', function () {
    let proc: { dir: string; remove: () => void };
    beforeEach(function () {
      proc = makeTempDir('fluxos-preprod-proc-');
    });
    afterEach(function () {
      proc.remove();
    });

    /** A fake /proc: each entry is [pid, argv, ppid]. */
    function fakeProc(entries: [number, string[], number][]): void {
      for (const [pid, argv, ppid] of entries) {
        mkdirSync(path.join(proc.dir, String(pid)));
        writeFileSync(path.join(proc.dir, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
        writeFileSync(
          path.join(proc.dir, String(pid), 'stat'),
          `${pid} (${path.basename(argv[0])}) S ${ppid} ${pid} ${pid} 0 -1`,
        );
      }
    }

    it(`reads at most ${ANCESTOR_DEPTH} ancestors, nearest first, with arguments joined by spaces`, function () {
      fakeProc([
        [500, ['node', '/z/node_modules/.bin/nodemon', 'app.js'], 400],
        [400, ['sh', '-c', 'nodemon app.js'], 300],
        [300, ['npm run flux'], 200],
        [200, ['PM2 v5: God Daemon'], 1],
      ]);
      expect(readProcessContext(proc.dir, 500).ancestors).to.deep.equal([
        'node /z/node_modules/.bin/nodemon app.js',
        'sh -c nodemon app.js',
        'npm run flux',
      ]);
    });

    it('stops at pid 1 and at a process that is gone', function () {
      fakeProc([
        [500, ['node', 'respawner.js'], 1],
        [600, ['bash'], 700], // 700 does not exist
      ]);
      expect(readProcessContext(proc.dir, 500).ancestors).to.deep.equal(['node respawner.js']);
      expect(readProcessContext(proc.dir, 600).ancestors).to.deep.equal(['bash']);
      expect(readProcessContext(proc.dir, 1).ancestors).to.deep.equal([]);
    });

    it('gives the environment of this process', function () {
      expect(readProcessContext(proc.dir, 500).env).to.equal(process.env);
    });

    it('on the real /proc, a child process sees this test process as its parent', function () {
      const restartModule = path.resolve(__dirname, '../../src/restart/strategy.js');
      const load = `require(${JSON.stringify(restartModule)})`;
      const script = `process.stdout.write(JSON.stringify(${load}.readProcessContext().ancestors))`;
      const ancestors = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
      const own = readFileSync('/proc/self/cmdline', 'utf8').split('\0').join(' ').trim();
      expect(ancestors[0]).to.equal(own);
      expect(ancestors.length).to.be.within(1, ANCESTOR_DEPTH);
    });
  });

  describe('triggerRestart', function () {
    let repo: { dir: string; remove: () => void };
    const past = new Date('2001-02-03T04:05:06Z');
    beforeEach(function () {
      repo = makeTempDir('fluxos-preprod-restart-');
    });
    afterEach(function () {
      repo.remove();
    });

    async function write(name: string): Promise<string> {
      const file = path.join(repo.dir, name);
      await fs.writeFile(file, '{}\n');
      await fs.utimes(file, past, past);
      return file;
    }
    const mtime = async (file: string) => (await fs.stat(file)).mtimeMs;
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

    it('nodemon: touches a file inside a watched directory (ZelBack/), not app.js, and never exits', async function () {
      const app = await write('app.js');
      const pkg = await write('package.json');
      await fs.mkdir(path.join(repo.dir, 'ZelBack/config'), { recursive: true });
      await fs.mkdir(path.join(repo.dir, 'ZelBack/src'), { recursive: true });
      const config = await write('ZelBack/config/default.js');
      const routes = await write('ZelBack/src/routes.js');
      const exit = sinon.spy();
      const log = logCapture();
      const before = Date.now();
      await triggerRestart('nodemon', { repoDir: repo.dir, logger: log.logger, exit });
      expect(await mtime(routes)).to.be.at.least(before - 1000);
      // app.js may have been replaced by the checkout (nodemon lost its watch); config/ is ignored by nodemon.
      for (const untouched of [app, pkg, config]) expect(await mtime(untouched)).to.equal(past.getTime());
      await nextTurn();
      expect(exit.called).to.equal(false);
      expect(log.lines).to.deep.equal([
        'info restart: touched ZelBack/src/routes.js so nodemon restarts FluxOS onto the new code',
      ]);
    });

    it("nodemon: follows the checkout's nodemon.json watch list", async function () {
      await write('app.js');
      await fs.writeFile(path.join(repo.dir, 'nodemon.json'), JSON.stringify({ watch: ['lib/', 'app.js'] }));
      await fs.mkdir(path.join(repo.dir, 'lib'));
      const inLib = await write('lib/a.js');
      const log = logCapture();
      const before = Date.now();
      await triggerRestart('nodemon', { repoDir: repo.dir, logger: log.logger, exit: sinon.spy() });
      expect(await mtime(inLib)).to.be.at.least(before - 1000);
    });

    it('nodemon: falls back to a watched file (app.js) when no watched directory has one', async function () {
      const app = await write('app.js');
      const log = logCapture();
      const before = Date.now();
      await triggerRestart('nodemon', { repoDir: repo.dir, logger: log.logger, exit: sinon.spy() });
      expect(await mtime(app)).to.be.at.least(before - 1000);
    });

    it('nodemon: falls back to package.json when there is no app.js', async function () {
      const pkg = await write('package.json');
      const log = logCapture();
      const before = Date.now();
      await triggerRestart('nodemon', { repoDir: repo.dir, logger: log.logger, exit: sinon.spy() });
      expect(await mtime(pkg)).to.be.at.least(before - 1000);
      expect(log.lines).to.deep.equal([
        'info restart: touched package.json so nodemon restarts FluxOS onto the new code',
      ]);
    });

    it('nodemon: with nothing to touch, says a restart is required instead of throwing', async function () {
      const log = logCapture();
      await triggerRestart('nodemon', {
        repoDir: path.join(repo.dir, 'missing'),
        logger: log.logger,
        exit: sinon.spy(),
      });
      expect(log.lines).to.have.length(1);
      expect(log.lines[0]).to.match(/^warn restart required: the nodemon strategy found no watched file to touch/);
    });

    it("none: warns 'restart required', touches nothing and never exits", async function () {
      const app = await write('app.js');
      const exit = sinon.spy();
      const log = logCapture();
      await triggerRestart('none', { repoDir: repo.dir, logger: log.logger, exit });
      await nextTurn();
      expect(exit.called).to.equal(false);
      expect(await mtime(app)).to.equal(past.getTime());
      expect(log.lines).to.have.length(1);
      expect(log.lines[0]).to.match(/^warn restart required/);
    });

    it('exit: logs first, then exits with code 1 on the next turn of the event loop, once', async function () {
      const app = await write('app.js');
      const log = logCapture();
      const exit = sinon.spy((_code: number) => {
        // The log line must be out before the process goes.
        expect(log.lines).to.have.length(1);
      });
      await triggerRestart('exit', { repoDir: repo.dir, logger: log.logger, exit });
      expect(exit.called, 'exit must wait for the next turn').to.equal(false);
      await nextTurn();
      expect(exit.calledOnceWithExactly(1)).to.equal(true);
      expect(exit.threw()).to.equal(false);
      expect(log.lines).to.deep.equal([
        'info restart: exiting with code 1 so the supervisor starts FluxOS on the new code',
      ]);
      expect(await mtime(app)).to.equal(past.getTime());
    });
  });
});
