/**
 * The crash-loop net under real nodemon with a dependency install
 * (docs/design.md §5, §9): a healthy switch whose dependencies changed goes
 * through three boots (the switch, the boot nodemon restarts into while the
 * install runs, the boot after the install's touch) and none of them counts
 * as an unhealthy preprod boot, even with maxUnhealthyBoots 1.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EVENT_PREFIX, type BedAppEvent } from '../support/restart/bedApp';
import { startSupervised, type Supervised } from '../support/restart/supervised';
import { bedEnv, createGitBed, type GitBed } from '../support/gitBed';

const ROOT = path.resolve(__dirname, '../../..');
const INDEX = path.join(ROOT, 'build/src/index.js');
const NODEMON = path.join(ROOT, 'node_modules/.bin/nodemon');
const DELAY_MS = 1000;
const NODEMON_CONFIG = { delay: DELAY_MS, watch: ['package.json', 'app.js', 'ZelBack/'], ignore: ['config/'] };
const NODEMON_JSON = `${JSON.stringify(NODEMON_CONFIG, null, 2)}\n`;

/** The FluxOS stand-in: boots through the package, then prints its result and the crash-loop counter. */
const APP = `'use strict';
const fs = require('fs');
const path = require('path');
const stamp = (event) => JSON.stringify({ ...event, at: Date.now(), pid: process.pid });
const emit = (event) => process.stdout.write(${JSON.stringify(EVENT_PREFIX)} + stamp(event) + '\\n');
const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'));
emit({ event: 'started', version });
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
      maxUnhealthyBoots: 1,
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
  emit({ event: 'boot', result, counter });
});
setInterval(() => undefined, 60 * 60 * 1000);
`;

interface BootLine {
  event: 'boot';
  at: number;
  pid: number;
  result: { reason: string; branch: { before: string | null; after: string | null; switched: boolean } };
  counter: { unhealthyBoots?: number; fellBackAt?: string } | null;
}
const isBoot = (e: BedAppEvent): boolean => (e as unknown as { event: string }).event === 'boot';

describe('crash-loop net under real nodemon with a dependency install', function () {
  let bed: GitBed;
  let running: Supervised | null = null;

  before(async function () {
    bed = await createGitBed({ noPreprod: true });
    const pkg = JSON.parse(await bed.git(bed.upstream, 'show', 'master:package.json')) as Record<string, unknown>;
    await bed.commitTo('master', { 'app.js': APP, 'nodemon.json': NODEMON_JSON }, 'FluxOS stand-in');
    const preprodPackage = { ...pkg, version: '1.1.0', dependencies: { 'left-pad': '1.3.0' } };
    await bed.commitTo(
      'preprod',
      { 'package.json': `${JSON.stringify(preprodPackage, null, 2)}\n` },
      'Release candidate with a new dependency',
    );
  });
  after(async function () {
    await running?.stop();
    await bed?.cleanup();
  });

  it('a healthy switch with an install never counts as unhealthy (maxUnhealthyBoots 1)', async function () {
    this.timeout(120_000);
    const dir = await bed.cloneNode();
    const installed = path.join(bed.dir, 'installed.txt');
    // The install takes a while, so nodemon restarts into the new code before it ends (as npm does on a node).
    const install = [
      process.execPath,
      '-e',
      `setTimeout(() => require('fs').writeFileSync(${JSON.stringify(installed)}, 'x'), 3000)`,
    ];
    const config = { index: INDEX, remote: bed.upstream, store: path.join(bed.dir, 'state.json'), install };
    running = startSupervised(NODEMON, ['app.js'], {
      cwd: dir,
      env: { ...bedEnv(), BOOT_NODEMON_CONFIG: JSON.stringify(config) },
    });
    const boots = () => running!.events.filter(isBoot) as unknown as BootLine[];
    // The install ends, writes the restart marker and touches app.js; nodemon restarts once more.
    await waitUntil(
      async () => (await fsMtime(installed)) !== null,
      60_000,
      () => running!.transcript(),
    );
    const installedAt = (await fsMtime(installed)) as number;
    await waitUntil(
      async () => boots().some((b) => b.at > installedAt + DELAY_MS / 2),
      60_000,
      () => running!.transcript(),
    );
    const all = boots();
    const last = all[all.length - 1];
    const seen = all.map((b) => [b.result.branch, b.result.reason, b.counter]);
    const why = `boots: ${JSON.stringify(seen)}\n${running.transcript()}`;
    // The switching boot never resolves (docs/design.md §5): it waits for nodemon to replace it.
    for (const boot of all)
      expect(boot.result.branch, why).to.deep.equal({ before: 'preprod', after: 'preprod', switched: false });
    expect(all.length, why).to.be.at.least(1);
    for (const boot of all) expect(boot.result.reason, why).to.equal('selected');
    expect(last.result.branch.after, why).to.equal('preprod');
    expect(last.counter?.unhealthyBoots, why).to.equal(0);
    expect(last.counter?.fellBackAt, why).to.equal(undefined);
  });
});

async function fsMtime(file: string): Promise<number | null> {
  return fs.stat(file).then(
    (s) => s.mtimeMs,
    () => null,
  );
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, transcript: () => string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out\n${transcript()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
