import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { bedEnv, createGitBed, type GitBed } from '../support/gitBed';
import { BED_APP_SOURCE, CONFIG_VARIABLE, type BedAppConfig, type BedAppEvent, type BootEvent, type DetectedEvent, type LogEvent, type StartedEvent } from '../support/restart/bedApp';
import { startSupervised, type Supervised } from '../support/restart/supervised';

// build/test/integration → the package root.
const ROOT = path.resolve(__dirname, '../../..');
const INDEX = path.join(ROOT, 'build/src/index.js');
const NODEMON = path.join(ROOT, 'node_modules/.bin/nodemon');
const RESPAWNER = path.join(ROOT, 'build/test/support/restart/respawner.js');

/** nodemon's delay here; FluxOS uses 5000 ms, which would only make the suite slower. */
const DELAY_MS = 1000;

/** FluxOS's nodemon.json (FLUXOS.md), tracked in the checkout like FluxOS's, with a short delay. */
const FLUXOS_NODEMON_JSON = `${JSON.stringify(
  {
    delay: DELAY_MS,
    watch: ['package.json', 'package-lock.json', 'ZelBack/', 'app.js', 'apiServer.js', 'helpers/', 'lib/'],
    ignore: ['config/'],
  },
  null,
  2,
)}\n`;

/**
 * Watches app.js only, which is the same on both branches, so the checkout
 * itself restarts nothing and only our touch can; and runs the app through
 * a shell that stays in between (`|| exit 1` keeps dash from exec'ing node).
 */
const TOUCH_ONLY_NODEMON_JSON = `${JSON.stringify({ delay: DELAY_MS, watch: ['app.js'], exec: 'node app.js || exit 1' }, null, 2)}\n`;

/** Deadlines for events, not waits: each resolves as soon as its line arrives. */
const START_DEADLINE_MS = 10_000;

const isStarted = (version: string) => (e: BedAppEvent): e is StartedEvent => e.event === 'started' && e.version === version;
const isSwitchLog = (e: BedAppEvent): e is LogEvent => e.event === 'log' && e.message.includes('switched master → preprod');
const bootOf = (pid: number) => (e: BedAppEvent): e is BootEvent => e.event === 'boot' && e.pid === pid;
const detectionOf = (pid: number) => (e: BedAppEvent): e is DetectedEvent => e.event === 'detected' && e.pid === pid;
const isStartedAny = (e: BedAppEvent): e is StartedEvent => e.event === 'started';

describe('restart onto the new branch under real supervisors', function () {
  let bed: GitBed;
  const running: Supervised[] = [];
  const timings: string[] = [];

  before(async function () {
    bed = await createGitBed({ noPreprod: true });
    const masterPackage = JSON.parse(await bed.git(bed.upstream, 'show', 'master:package.json')) as Record<string, unknown>;
    await bed.commitTo('master', { 'app.js': BED_APP_SOURCE, 'nodemon.json': FLUXOS_NODEMON_JSON }, 'FluxOS stand-in app');
    // Created from master's tip, so preprod contains master and the boot takes it.
    await bed.commitTo('preprod', { 'package.json': `${JSON.stringify({ ...masterPackage, version: '1.1.0' }, null, 2)}\n` }, 'Release candidate 1.1.0');
    await fs.writeFile(path.join(bed.dir, 'touch-only-nodemon.json'), TOUCH_ONLY_NODEMON_JSON);
  });

  afterEach(async function () {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  after(async function () {
    await bed?.cleanup();
    if (timings.length > 0) console.log(`      switch → new code running: ${timings.join('; ')}`);
  });

  /** The bed's isolated environment without any supervisor marker the test runner itself may carry. */
  function appEnv(name: string, restart: BedAppConfig['restart'], extra: Record<string, string> = {}, installCommand?: string[]): NodeJS.ProcessEnv {
    const env = bedEnv();
    for (const key of ['INVOCATION_ID', 'FLUXOS_PATH', 'pm_id']) delete env[key];
    const config: BedAppConfig = { index: INDEX, remote: bed.upstream, store: path.join(bed.dir, `${name}-state.json`), restart, installCommand };
    return { ...env, ...extra, [CONFIG_VARIABLE]: JSON.stringify(config) };
  }

  /**
   * What every restart case shows: master's code boots, switches, and the
   * branch's new code is running within `budgetMs` of the switch; its own boot
   * is then a no-op. Returns the elapsed ms.
   */
  async function expectRestartOntoPreprod(tree: Supervised, node: string, budgetMs: number, firstPidCheck: (pid: number) => void): Promise<number> {
    const first = await tree.waitFor('STARTED 1.0.0', isStarted('1.0.0'), START_DEADLINE_MS);
    const switchLog = await tree.waitFor('the switch log line', isSwitchLog, START_DEADLINE_MS);
    expect(switchLog.pid).to.equal(first.pid);
    firstPidCheck(first.pid);
    const second = await tree.waitFor('STARTED 1.1.0', isStarted('1.1.0'), budgetMs + START_DEADLINE_MS);
    const elapsed = second.at - switchLog.at;
    expect(second.pid).to.not.equal(first.pid);
    expect(elapsed, `switch → new code took ${elapsed} ms`).to.be.at.most(budgetMs);

    const secondBoot = await tree.waitFor('the second boot result', bootOf(second.pid), START_DEADLINE_MS);
    expect(secondBoot.result).to.include({ mode: 'preprod', reason: 'selected' });
    expect(secondBoot.result.branch).to.deep.equal({ before: 'preprod', after: 'preprod', switched: false });
    expect(tree.events.filter(isStartedAny).map((e) => e.version)).to.deep.equal(['1.0.0', '1.1.0']);
    expect(await bed.git(node, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
    return elapsed;
  }

  const nodemonCases = [
    {
      name: "`nodemon app.js` with FluxOS's nodemon.json (nodemon forks the app: its direct parent)",
      args: () => ['app.js'],
      ancestor: 1,
    },
    {
      name: 'nodemon running the app through `sh -c`, watching app.js only (only our touch restarts it)',
      args: () => ['--config', path.join(bed.dir, 'touch-only-nodemon.json')],
      ancestor: 2,
    },
  ];

  for (const [index, testCase] of nodemonCases.entries()) {
    it(`restart 'auto' finds ${testCase.name} and is on the new code within nodemon's delay + 1 s`, async function () {
      const name = `nodemon${index}`;
      const node = await bed.cloneNode(name);
      const tree = startSupervised(NODEMON, testCase.args(), { cwd: node, env: appEnv(name, 'auto') });
      running.push(tree);

      const elapsed = await expectRestartOntoPreprod(tree, node, DELAY_MS + 1000, (pid) => {
        const detected = tree.events.find(detectionOf(pid));
        expect(detected, tree.transcript()).to.include({ strategy: 'nodemon' });
        expect(detected?.why).to.match(new RegExp(`^nodemon is ancestor ${testCase.ancestor} `));
      });
      // The old process touched app.js and reported the switch before nodemon replaced it.
      const firstPid = tree.events.find(isStarted('1.0.0'))!.pid;
      const firstBoot = tree.events.find(bootOf(firstPid));
      expect(firstBoot?.result).to.deep.include({ restart: 'nodemon', branch: { before: 'master', after: 'preprod', switched: true } });
      // package.json differs between the branches, so the install runs outside nodemon's tree and
      // touches app.js when it ends: that touch (or the checkout itself) is what nodemon sees.
      expect(tree.events.some((e) => e.event === 'log' && e.pid === firstPid && e.message.includes("installing outside nodemon's process tree"))).to.equal(true);
      timings.push(`nodemon (${index === 0 ? 'fork' : 'sh -c, touch only'}, delay ${DELAY_MS} ms) ${elapsed} ms`);
    });
  }

  it('finishes a dependency install that outlasts nodemon\'s restart, then nodemon restarts onto it', async function () {
    const node = await bed.cloneNode('slowinstall');
    // Longer than nodemon's delay: the checkout's restart comes while it runs, and must not kill it.
    const install = [process.execPath, '-e', "setTimeout(() => { const fs = require('fs'); fs.mkdirSync('node_modules/dep', { recursive: true }); fs.writeFileSync('node_modules/dep/ok', 'installed'); }, 2500)"];
    const tree = startSupervised(NODEMON, ['app.js'], { cwd: node, env: appEnv('slowinstall', 'auto', {}, install) });
    running.push(tree);
    const first = await tree.waitFor('STARTED 1.0.0', isStarted('1.0.0'), START_DEADLINE_MS);
    const switchLog = await tree.waitFor('the switch log line', isSwitchLog, START_DEADLINE_MS);
    // nodemon restarts onto the new code on the checkout's change, while the install still runs...
    const early = await tree.waitFor('STARTED 1.1.0', isStarted('1.1.0'), START_DEADLINE_MS);
    expect(early.pid).to.not.equal(first.pid);
    expect(early.at - switchLog.at).to.be.below(2500);
    // ...and once more when the install is done, now with the dependencies in place.
    const isLaterStart = (e: BedAppEvent): e is StartedEvent => isStarted('1.1.0')(e) && e.pid !== early.pid;
    const late = await tree.waitFor('STARTED 1.1.0 after the install', isLaterStart, START_DEADLINE_MS);
    expect(late.at - switchLog.at).to.be.at.least(2500);
    expect(await fs.readFile(path.join(node, 'node_modules/dep/ok'), 'utf8')).to.equal('installed');
    const installLog = await fs.readFile(path.join(node, '.git/fluxos-preprod-install.log'), 'utf8');
    expect(installLog).to.match(/install finished in \d+ ms/);
    expect(await bed.git(node, 'status', '--porcelain')).to.equal('');
  });

  const exitCases: { name: string; restart: BedAppConfig['restart']; env: Record<string, string>; why: RegExp }[] = [
    { name: "restart 'exit'", restart: 'exit', env: {}, why: /^configured$/ },
    { name: "restart 'auto' with INVOCATION_ID set (a systemd service)", restart: 'auto', env: { INVOCATION_ID: '0123456789abcdef' }, why: /INVOCATION_ID/ },
  ];

  for (const [index, testCase] of exitCases.entries()) {
    it(`${testCase.name} under a respawning parent exits and is on the new code within 1 s`, async function () {
      const name = `exit${index}`;
      const node = await bed.cloneNode(name);
      // At most 3 starts: a restart loop ends there and fails the count below.
      const tree = startSupervised(process.execPath, [RESPAWNER, '3', process.execPath, 'app.js'], { cwd: node, env: appEnv(name, testCase.restart, testCase.env) });
      running.push(tree);

      const elapsed = await expectRestartOntoPreprod(tree, node, 1000, (pid) => {
        const detected = tree.events.find(detectionOf(pid));
        expect(detected, tree.transcript()).to.include({ strategy: 'exit' });
        expect(detected?.why).to.match(testCase.why);
      });
      expect(tree.transcript()).to.match(/respawner: child exited \(code 1, signal null\); start 1 of 3/);
      timings.push(`exit (${testCase.restart}) ${elapsed} ms`);
    });
  }

  it("restart 'auto' with no nodemon and no supervisor variables switches, reports 'restart required' and keeps running", async function () {
    const node = await bed.cloneNode('none');
    const tree = startSupervised(process.execPath, [RESPAWNER, '3', process.execPath, 'app.js'], { cwd: node, env: appEnv('none', 'auto') });
    running.push(tree);

    const first = await tree.waitFor('STARTED 1.0.0', isStarted('1.0.0'), START_DEADLINE_MS);
    const boot = await tree.waitFor('the boot result', bootOf(first.pid), START_DEADLINE_MS);
    expect(boot.result).to.deep.include({ restart: 'none', branch: { before: 'master', after: 'preprod', switched: true } });
    expect(tree.events.some((e) => e.event === 'log' && e.level === 'warn' && e.message.includes('restart required'))).to.equal(true);
    await tree.stop();
    // Still the first child when we stopped it: an exit of its own would have been reported, and respawned.
    expect(tree.transcript()).to.match(/respawner: child exited \(code null, signal SIGTERM\); start 1 of 3/);
    expect(tree.transcript()).to.not.match(/code 1,/);
    expect(tree.events.filter(isStartedAny)).to.have.length(1);
  });
});
