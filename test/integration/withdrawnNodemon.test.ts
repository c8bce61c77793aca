/**
 * A withdrawn preprod under real nodemon (docs/design.md §4, §5): a preprod
 * node runs under nodemon (FluxOS's supervisor on legacy nodes) with its
 * background recheck on; preprod is force-pushed; the recheck stores the
 * finding and restarts FluxOS through nodemon (never moving the checkout under
 * it); the boot nodemon restarts into moves preprod to the new tip; the boot
 * after that runs the new tip and stays.
 */
import { expect } from 'chai';
import * as path from 'node:path';
import { EVENT_PREFIX, type BedAppEvent } from '../support/restart/bedApp';
import { startSupervised, type Supervised } from '../support/restart/supervised';
import { bedEnv, createGitBed, type GitBed } from '../support/gitBed';

const ROOT = path.resolve(__dirname, '../../..');
const INDEX = path.join(ROOT, 'build/src/index.js');
const TESTING = path.join(ROOT, 'build/src/testing.js');
const NODEMON = path.join(ROOT, 'node_modules/.bin/nodemon');
const NODEMON_CONFIG = { delay: 1000, watch: ['package.json', 'app.js', 'ZelBack/'], ignore: ['config/'] };
const NODEMON_JSON = `${JSON.stringify(NODEMON_CONFIG, null, 2)}\n`;

/** The FluxOS stand-in: boots through the package with its rechecks on, then prints its result and HEAD. */
const APP = `'use strict';
const fs = require('fs');
const path = require('path');
const stamp = (event) => JSON.stringify({ ...event, at: Date.now(), pid: process.pid });
const emit = (event) => process.stdout.write(${JSON.stringify(EVENT_PREFIX)} + stamp(event) + '\\n');
const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'));
emit({ event: 'started', version });
const config = JSON.parse(process.env.WITHDRAWN_NODEMON_CONFIG);
const { FileStateStore } = require(config.index);
// The test service: the same service with shortened background timings (src/testing.ts).
const { createTestService } = require(config.testing);
const store = new FileStateStore(config.store);
const log = (level) => (message) => emit({ event: 'log', level, message });
const service = createTestService({
  repoDir: __dirname,
  store,
  settings: {
    preProd: {
      remote: config.remote,
      probability: 1,
      restart: 'auto',
      fetchTimeoutMs: 5000,
      installCommand: config.install,
      healthyAfterMs: 3600000,
    },
  },
  logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: () => undefined },
  backgroundChecks: true,
  backgroundTimings: { firstMinMs: 200, firstMaxMs: 300, everyMs: 300 },
});
service.runAtBoot().then(async (result) => {
  const counter = await store.get('preProdBootHealth');
  const git = require('child_process').execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname });
  const head = git.toString().trim();
  emit({ event: 'boot', result, counter, head });
});
setInterval(() => undefined, 60 * 60 * 1000);
`;

interface BootLine {
  event: 'boot';
  at: number;
  head: string;
  result: { reason: string; mode: string; branch: { before: string | null; after: string | null; switched: boolean } };
}
const isBoot = (e: BedAppEvent): boolean => (e as unknown as { event: string }).event === 'boot';

async function waitUntil(check: () => boolean, timeoutMs: number, transcript: () => string): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out\n${transcript()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a withdrawn preprod under real nodemon, with the recheck restarting', function () {
  let bed: GitBed;
  let running: Supervised | null = null;
  after(async function () {
    await running?.stop();
    await bed?.cleanup();
  });

  it('force-pushed: the recheck restarts, the next boot moves to the new tip, the one after stays', async function () {
    this.timeout(120_000);
    bed = await createGitBed();
    await bed.commitTo('master', { 'app.js': APP, 'nodemon.json': NODEMON_JSON }, 'FluxOS stand-in');
    await bed.git(bed.upstream, 'update-ref', 'refs/heads/preprod', await bed.masterTip());
    await bed.commitTo('preprod', { 'ZelBack/src/release.js': 'module.exports = 1;\n' }, 'Release, first cut');
    const dir = await bed.cloneNode('node', { branch: 'preprod' });
    const withdrawn = await bed.git(dir, 'rev-parse', 'HEAD');
    const config = {
      index: INDEX,
      testing: TESTING,
      remote: bed.upstream,
      store: path.join(bed.dir, 'state.json'),
      install: ['true'],
    };
    running = startSupervised(NODEMON, ['app.js'], {
      cwd: dir,
      env: { ...bedEnv(), WITHDRAWN_NODEMON_CONFIG: JSON.stringify(config) },
    });
    const boots = () => running!.events.filter(isBoot) as unknown as BootLine[];
    const transcript = () => `boots: ${JSON.stringify(boots())}\n${running!.transcript()}`;
    await waitUntil(() => boots().length >= 1, 60_000, transcript);
    expect(boots()[0].result, transcript()).to.deep.include({ mode: 'preprod', reason: 'selected' });

    // The release is withdrawn and cut again: preprod force-pushed.
    await bed.git(bed.upstream, 'update-ref', 'refs/heads/preprod', await bed.masterTip());
    const tip = await bed.commitTo(
      'preprod',
      { 'ZelBack/src/release.js': 'module.exports = 2;\n' },
      'Release, second cut',
    );
    await waitUntil(() => boots().some((b) => b.head === tip && !b.result.branch.switched), 60_000, transcript);
    const all = boots();
    const moved = all.findIndex((b) => b.result.branch.switched);
    expect(moved, transcript()).to.be.above(0);
    expect(all[moved].result.branch, transcript()).to.deep.equal({
      before: 'preprod',
      after: 'preprod',
      switched: true,
    });
    expect(all[moved].head, 'the move is made by a boot, never under a running FluxOS').to.equal(tip);
    for (const boot of all.slice(0, moved)) expect(boot.head, transcript()).to.equal(withdrawn);
    const last = all[all.length - 1];
    expect(last.result, transcript()).to.deep.include({ mode: 'preprod', reason: 'selected' });
    expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(tip);
    expect(await bed.git(dir, 'branch', '--contains', withdrawn)).to.equal('');
  });
});
