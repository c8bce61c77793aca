/**
 * The crash-loop fallback under real nodemon with a dependency install
 * (docs/design.md §5, §9): a preprod release that crashes at start sends the
 * node back to production after exactly `maxUnhealthyBoots` crashing preprod
 * boots. nodemon does not restart a crashed FluxOS (it waits for a file
 * change); on a legacy node the watchdog restarts it (`pm2 restart flux`,
 * which restarts nodemon), and so does this test. What the package caused
 * itself does not count: the switching boot runs master's code (and, like the
 * boot that falls back, waits for nodemon to replace it: no result), and the boot
 * nodemon restarts into while the install runs crashes but is covered by the
 * install's restart marker. From the boot the install's touch of app.js
 * starts on, each crash counts once.
 */
import { expect } from 'chai';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FileStateStore } from '../../src/state';
import { BOOT_HEALTH_KEY } from '../../src/types';
import { bedEnv, createGitBed, type GitBed } from '../support/gitBed';
import { EVENT_PREFIX, type BedAppEvent } from '../support/restart/bedApp';
import { startSupervised, type Supervised } from '../support/restart/supervised';

const ROOT = path.resolve(__dirname, '../../..');
const INDEX = path.join(ROOT, 'build/src/index.js');
const NODEMON = path.join(ROOT, 'node_modules/.bin/nodemon');
const NODEMON_CONFIG = { delay: 1000, watch: ['package.json', 'app.js', 'ZelBack/'], ignore: ['config/'] };
const NODEMON_JSON = `${JSON.stringify(NODEMON_CONFIG, null, 2)}\n`;
const MAX_UNHEALTHY_BOOTS = 2;
/** Catches a hang; nothing is timed. */
const HANG_MS = 60_000;

/**
 * The release's code past the boot step. The app itself stays the same on
 * both branches: only the install's touch of app.js restarts nodemon after the
 * install, and a checkout that rewrites app.js can cost nodemon its watch on it.
 */
const RELEASE_FILE = 'ZelBack/src/release.js';

/**
 * The FluxOS stand-in, the same on both branches: boots through the package,
 * prints its result and the crash-loop counter, then hands the result to the
 * release's code (RELEASE_FILE), as FluxOS goes on into ZelBack.
 */
const APP = `'use strict';
const fs = require('fs');
const path = require('path');
const stamp = (event) => JSON.stringify({ ...event, at: Date.now(), pid: process.pid });
const emit = (event) => process.stdout.write(${JSON.stringify(EVENT_PREFIX)} + stamp(event) + '\\n');
const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'));
const config = JSON.parse(process.env.BOOT_NODEMON_CONFIG);
const { createPreprodService, FileStateStore } = require(config.index);
const store = new FileStateStore(config.store);
const log = (level) => (message) => emit({ event: 'log', level, message });
const service = createPreprodService({
  repoDir: __dirname,
  store,
  settings: {
    preProd: {
      remote: config.remote,
      probability: 1,
      maxUnhealthyBoots: ${MAX_UNHEALTHY_BOOTS},
      restart: 'auto',
      fetchTimeoutMs: 5000,
      installCommand: config.install,
      healthyAfterMs: 3600000,
    },
  },
  logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: () => undefined },
  backgroundChecks: false,
});
service.runAtBoot().then(async (result) => {
  const counter = await store.get('preProdBootHealth');
  emit({ event: 'boot', version, result, counter });
  require(${JSON.stringify(`./${RELEASE_FILE}`)}).start(result);
});
setInterval(() => undefined, 60 * 60 * 1000);
`;
const MASTER_RELEASE = 'module.exports = { start() {} };\n';
/** The release candidate crashes whenever it runs as preprod. */
const CRASHING_RELEASE = `module.exports = {
  start(result) {
    if (result.mode === 'preprod') setImmediate(() => { throw new Error('release candidate crashes at start'); });
  },
};
`;

interface BootLine {
  event: 'boot';
  version: string;
  result: { mode: string; reason: string; branch: { before: string | null; after: string | null } };
  counter: { unhealthyBoots?: number; fellBackAt?: string } | null;
}
const isBoot = (e: BedAppEvent): boolean => (e as unknown as { event: string }).event === 'boot';

/** One line per boot: whose code ran, where the boot left the node, and the counter it found. */
function describeBoot(boot: BootLine): string {
  const { mode, reason, branch } = boot.result;
  const counted = `${boot.counter?.unhealthyBoots ?? 0}${boot.counter?.fellBackAt === undefined ? '' : ', fell back'}`;
  return `${boot.version}: ${branch.before}→${branch.after} ${mode} ${reason}, ${counted}`;
}

describe('crash-loop fallback under real nodemon with a dependency install', function () {
  let bed: GitBed;
  const runs: Supervised[] = [];

  before(async function () {
    bed = await createGitBed({ noPreprod: true });
    const pkg = JSON.parse(await bed.git(bed.upstream, 'show', 'master:package.json')) as Record<string, unknown>;
    await bed.commitTo(
      'master',
      { 'app.js': APP, [RELEASE_FILE]: MASTER_RELEASE, 'nodemon.json': NODEMON_JSON },
      'FluxOS stand-in',
    );
    const preprodPackage = { ...pkg, version: '1.1.0', dependencies: { 'left-pad': '1.3.0' } };
    await bed.commitTo(
      'preprod',
      { 'package.json': `${JSON.stringify(preprodPackage, null, 2)}\n`, [RELEASE_FILE]: CRASHING_RELEASE },
      'Release candidate with a new dependency that crashes at start',
    );
  });
  after(async function () {
    for (const run of runs) await run.stop();
    await bed?.cleanup();
  });

  it(`falls back after exactly ${MAX_UNHEALTHY_BOOTS} crashes the package did not cause`, async function () {
    // Each wait catches its own hang; this bounds the whole.
    this.timeout(10 * HANG_MS);
    const dir = await bed.cloneNode();
    const store = path.join(bed.dir, 'state.json');
    const release = path.join(bed.dir, 'install-may-end');
    const installs = path.join(bed.dir, 'installs.txt');
    // The install is slow (as npm is on a node): it ends only once the code nodemon restarted into has crashed.
    const installScript = `const fs = require('fs');
      const end = () => fs.appendFileSync(${JSON.stringify(installs)}, 'x');
      const poll = () => (fs.existsSync(${JSON.stringify(release)}) ? end() : setTimeout(poll, 50));
      poll();`;
    const config = { index: INDEX, remote: bed.upstream, store, install: [process.execPath, '-e', installScript] };
    const env = { ...bedEnv(), BOOT_NODEMON_CONFIG: JSON.stringify(config) };
    const boots = () => runs.flatMap((run) => run.events.filter(isBoot) as unknown as BootLine[]);
    const transcript = () => runs.map((run, n) => `--- nodemon run ${n + 1}\n${run.transcript()}`).join('\n');
    const installLog = () => {
      try {
        return readFileSync(path.join(dir, '.git', 'fluxos-preprod-install.log'), 'utf8');
      } catch {
        return '(none)';
      }
    };
    const why = () => `boots:\n${boots().map(describeBoot).join('\n')}\n${transcript()}\ninstall log: ${installLog()}`;
    const startNodemon = () => runs.push(startSupervised(NODEMON, ['app.js'], { cwd: dir, env }));
    const current = () => runs[runs.length - 1];
    const crashes = () => current().transcript().split('app crashed - waiting for file changes').length - 1;
    const bootCount = (n: number) => waitUntil(async () => boots().length >= n, why);
    const crashCount = (n: number) => waitUntil(async () => crashes() >= n, why);

    startNodemon();
    // The switch (master's code, whose boot never resolves: it waits for nodemon to replace it), then
    // nodemon's restart into the release, which crashes before the install ends.
    await bootCount(1);
    await crashCount(1);
    await fs.writeFile(release, 'go');
    // The install ends, writes the restart marker and touches app.js: nodemon starts the release again; it crashes.
    await bootCount(2);
    await crashCount(2);
    // From here only the watchdog restarts FluxOS: every crash it sees counts, until the node falls back.
    for (let restarts = 0; boots()[boots().length - 1].result.mode === 'preprod'; restarts += 1) {
      expect(restarts, `the node never fell back\n${why()}`).to.be.at.most(MAX_UNHEALTHY_BOOTS + 1);
      await current().stop();
      const seen = boots().length;
      startNodemon();
      await bootCount(seen + 1);
      if (boots()[seen].result.mode === 'preprod') await crashCount(1);
    }
    // The fallback switched back to master: nodemon restarted FluxOS onto master's code, which stays on production.
    const fellBack = boots().length;

    const crashing = Array.from(
      { length: MAX_UNHEALTHY_BOOTS },
      (_, n) => `1.1.0: preprod→preprod preprod selected, ${n}`,
    );
    expect(boots().slice(0, fellBack).map(describeBoot), why()).to.deep.equal([
      '1.1.0: preprod→preprod preprod selected, 0', // nodemon's restart after the switch; crashes during the install
      ...crashing, // the first one after the install's touch (the crash before it not counted), then the watchdog's
      // The boot that falls back runs the release's code and waits for nodemon (no result): master's code follows.
      `1.0.0: master→master production crash-loop, ${MAX_UNHEALTHY_BOOTS}, fell back`,
    ]);
    // The install ran (for the switch, and again for the fallback when it has ended by now).
    expect(await fs.readFile(installs, 'utf8').catch(() => ''), why()).to.have.length.at.least(1);
    const stored = (await new FileStateStore(store).get(BOOT_HEALTH_KEY)) as Record<string, unknown> | null;
    expect(stored, why()).to.include({ unhealthyBoots: MAX_UNHEALTHY_BOOTS });
    expect(stored?.fellBackAt, why()).to.be.instanceOf(Date);
  });
});

async function waitUntil(check: () => Promise<boolean>, why: () => string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > HANG_MS) throw new Error(`timed out\n${why()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
