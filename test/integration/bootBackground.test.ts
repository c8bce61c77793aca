/**
 * Background work of a long-lived process on real git and a real store
 * (docs/design.md §4, §5): the preprod recheck and the deferred check find
 * what the boot could not, store it and restart FluxOS through the strategy;
 * they never move the checkout under it, and the next boot does.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { RESTART_MARKER_FILE } from '../../src/boot/restartMarker';
import { FileStateStore } from '../../src/state';
import { COHORT_KEY } from '../../src/types';
import { loggedService } from '../support/bootBed';
import { createGitBed } from '../support/gitBed';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';

const FAST = { firstMinMs: 20, firstMaxMs: 40, everyMs: 200, deferredRetryMs: 20 };

/** Resolves once `check` holds; the bound only catches a hang. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('background checks of a long-lived process, on real git', function () {
  let tmp: { dir: string; remove: () => void };
  before(() => (tmp = makeTempDir('fluxos-preprod-background-')));
  after(() => tmp?.remove());

  const changes: { name: string; change: (bed: Awaited<ReturnType<typeof createGitBed>>) => Promise<unknown> }[] = [
    {
      name: 'master gets a fix preprod lacks',
      change: (bed) => bed.commitTo('master', { 'ZelBack/src/hotfix.js': 'module.exports = 1;\n' }, 'Hotfix'),
    },
    { name: 'preprod is deleted', change: (bed) => bed.deleteBranch('preprod') },
  ];
  for (const c of changes) {
    it(`a preprod node notices when ${c.name}: restart, then master (preprod-unavailable)`, async function () {
      const bed = await createGitBed();
      try {
        const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
        const store = new FileStateStore(path.join(tmp.dir, `${path.basename(bed.dir)}.json`));
        const exits: number[] = [];
        const preProd = { remote: bed.upstream, probability: 1 };
        const running = loggedService(dir, store, preProd, {
          backgroundChecks: true,
          backgroundTimings: FAST,
          restart: 'exit',
          exit: (code) => exits.push(code),
        });
        const booted = await running.svc.runAtBoot();
        expect(booted).to.include({ mode: 'preprod', reason: 'selected' });
        await c.change(bed);
        await eventually(() => exits.length > 0, 'the restart');
        running.svc.stop();
        expect(exits).to.deep.equal([1]);
        expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), 'never moved under FluxOS').to.equal('preprod');
        const marker = JSON.parse(await fs.readFile(path.join(dir, '.git', RESTART_MARKER_FILE), 'utf8'));
        expect(marker).to.include({ by: 'recheck', recheck: true });

        const next = await loggedService(dir, store, preProd).svc.runAtBoot();
        expect(next).to.include({ mode: 'production', reason: 'preprod-unavailable' });
        expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(await bed.masterTip());
      } finally {
        await bed.cleanup();
      }
    });
  }

  it("a preprod node whose preprod still has master's tip is left running", async function () {
    const bed = await createGitBed();
    try {
      const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
      const exits: number[] = [];
      const running = loggedService(
        dir,
        new FileStateStore(path.join(tmp.dir, 'fine.json')),
        { remote: bed.upstream, probability: 1 },
        {
          backgroundChecks: true,
          backgroundTimings: FAST,
          restart: 'exit',
          exit: (code) => exits.push(code),
        },
      );
      await running.svc.runAtBoot();
      await eventually(
        () => running.lines.filter((l) => l.includes('already on it')).length >= 3,
        'two rechecks after the boot',
      );
      running.svc.stop();
      expect(exits).to.deep.equal([]);
    } finally {
      await bed.cleanup();
    }
  });

  it('no MongoDB at boot: decided once it is there, stored, restarted, moved by the next boot', async function () {
    const server = await requireMongo(this);
    const client = await new MongoClient(server.url).connect();
    const dbName = uniqueDbName('deferred');
    const bed = await createGitBed();
    try {
      const dir = await bed.cloneNode();
      let connected: Db | null = null;
      const exits: number[] = [];
      const preProd = { remote: bed.upstream, probability: 1, storeWaitMs: 100 };
      const running = loggedService(dir, undefined, preProd, {
        db: () => connected,
        backgroundChecks: true,
        backgroundTimings: FAST,
        restart: 'exit',
        exit: (code) => exits.push(code),
      });
      const first = await running.svc.runAtBoot();
      expect(first).to.include({ reason: 'store-unavailable', mode: 'production' });
      connected = client.db(dbName); // FluxOS's waitForMongo() has run
      await eventually(() => exits.length > 0, 'the restart after the deferred check');
      running.svc.stop();
      expect(await client.db(dbName).collection('state').countDocuments({ key: COHORT_KEY })).to.equal(1);
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), 'never moved under FluxOS').to.equal('master');
      const next = await loggedService(dir, undefined, preProd, { db: () => connected }).svc.runAtBoot();
      expect(next).to.include({ mode: 'preprod', reason: 'selected' });
    } finally {
      await bed.cleanup();
      await client
        .db(dbName)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
    }
  });
});
