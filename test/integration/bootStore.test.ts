/**
 * The store and the boot (docs/design.md §3 rules 6 and 7), on real git and
 * both real stores: a decision moves the checkout only once it is stored, and
 * opt-out and the kill switch act without any store.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { FileStateStore, MongoStateStore } from '../../src/state';
import { COHORT_KEY } from '../../src/types';
import { loggedService, runCliWithReadOnlyDir } from '../support/bootBed';
import { describeRun, writeSettingsFile } from '../support/cli';
import { createGitBed, type GitBed } from '../support/gitBed';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';

describe('boot and the store', function () {
  let bed: GitBed;
  let tmp: { dir: string; remove: () => void };
  let n = 0;
  before(async function () {
    bed = await createGitBed();
    tmp = makeTempDir('fluxos-preprod-bootstore-');
  });
  after(async function () {
    await bed?.cleanup();
    tmp?.remove();
  });
  const branchOf = (dir: string) => bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD');

  describe('a store that can be read but not written (file store, read-only state directory)', function () {
    it('six boots never move the checkout: store-unavailable, exit 1 each', async function () {
      this.timeout(180_000);
      const dir = await bed.cloneNode();
      const stateDir = path.join(tmp.dir, `ro-${++n}`);
      await fs.mkdir(stateDir);
      const settings = await writeSettingsFile(tmp.dir, `ro-${n}.json`, { probability: 1, remote: bed.upstream });
      const args = ['boot', '--repo', dir, '--store', `file:${stateDir}/state.json`, '--config', settings, '--json'];
      for (let boot = 1; boot <= 6; boot += 1) {
        const run = await runCliWithReadOnlyDir(stateDir, args);
        expect(run.code, describeRun(run)).to.equal(1);
        const result = JSON.parse(run.stdout) as { reason: string; branch: { after: string; switched: boolean } };
        expect(result.reason, `boot ${boot}`).to.equal('store-unavailable');
        expect(result.branch.switched, `boot ${boot}`).to.equal(false);
        expect(await branchOf(dir), `boot ${boot}`).to.equal('master');
      }
      expect(await fs.readdir(stateDir)).to.deep.equal([]);
    });
  });

  describe('MongoDB documents that predate the unique index', function () {
    it('keeps the newest per key, moves the others to state_duplicates, logs it, boots normally', async function () {
      const server = await requireMongo(this);
      const client = await new MongoClient(server.url).connect();
      const dbName = uniqueDbName('dupkeys');
      try {
        const db = client.db(dbName);
        const old = new Date('2026-10-01T00:00:00Z');
        // The seed's unawaited index let two records in; the newer selects the node.
        await db
          .collection('state')
          .insertOne({ key: COHORT_KEY, value: false, draw: 0.9, rolledAt: old, probability: 1, updatedAt: old });
        await new Promise((resolve) => setTimeout(resolve, 1100)); // a later ObjectId second
        const recent = new Date();
        await db.collection('state').insertOne({
          key: COHORT_KEY,
          value: false,
          draw: 0.5,
          rolledAt: recent,
          probability: 0.07,
          updatedAt: recent,
        });
        const dir = await bed.cloneNode();
        const { svc, lines } = loggedService(dir, undefined, { probability: 1, remote: bed.upstream }, { db });
        const result = await svc.runAtBoot();
        expect(result).to.include({ mode: 'preprod', reason: 'selected' });
        expect(result.cohort?.draw).to.equal(0.5);
        expect(await db.collection('state').countDocuments({ key: COHORT_KEY })).to.equal(1);
        expect(await db.collection('state_duplicates').countDocuments({ key: COHORT_KEY, draw: 0.9 })).to.equal(1);
        const indexes = await db.collection('state').indexes();
        expect(indexes.some((index) => index.name === 'key_1' && index.unique === true)).to.equal(true);
        expect(lines.some((l) => l.startsWith('warn') && l.includes('state_duplicates'))).to.equal(true);
      } finally {
        await client
          .db(dbName)
          .dropDatabase()
          .catch(() => undefined);
        await client.close();
      }
    });
  });

  describe('opt-out and the kill switch need no store', function () {
    const unreadable: {
      name: string;
      open: (ctx: Mocha.Context) => Promise<{ store?: FileStateStore; db?: () => null; close: () => Promise<void> }>;
    }[] = [
      {
        name: 'a corrupt state file',
        open: async () => {
          const file = path.join(tmp.dir, `corrupt-${++n}.json`);
          await fs.writeFile(file, '{"isPreProd": {"value": tr');
          return { store: new FileStateStore(file), close: async () => undefined };
        },
      },
      {
        name: "FluxOS's MongoDB connection not there",
        open: async (ctx) => {
          await requireMongo(ctx); // the suite's MongoDB variant runs where a server can be had
          return { db: () => null, close: async () => undefined };
        },
      },
    ];
    for (const store of unreadable) {
      for (const [flag, preProd, initial, reason] of [
        ['disablePreProd', { probability: 1 }, { disablePreProd: true }, 'disabled'],
        ['probability 0', { probability: 0 }, {}, 'not-selected'],
      ] as const) {
        it(`${flag}: a preprod node goes to production with ${store.name}, naming it`, async function () {
          const opened = await store.open(this);
          const dir = await bed.cloneNode(undefined, { branch: 'preprod', userconfig: initial });
          // storeWaitMs only where there is a connection to wait for (the file store never waits).
          const wait = opened.db ? { storeWaitMs: 200 } : {};
          const { svc } = loggedService(
            dir,
            opened.store,
            { ...preProd, remote: bed.upstream, ...wait },
            opened.db ? { db: opened.db } : {},
          );
          const result = await svc.runAtBoot();
          await opened.close();
          expect(result).to.include({ mode: 'production', reason });
          expect(result.branch).to.deep.equal({ before: 'preprod', after: 'master', switched: true });
          expect(result.message).to.include('the store could not be read');
          expect(await branchOf(dir)).to.equal('master');
        });
      }
    }

    it('going to production with a failed fetch uses the local remote-tracking production ref', async function () {
      const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
      const unreachable = 'http://127.0.0.1:1/flux.git';
      await bed.git(dir, 'remote', 'set-url', 'origin', unreachable);
      const file = path.join(tmp.dir, `state-${++n}.json`);
      const { svc, lines } = loggedService(dir, new FileStateStore(file), { probability: 0, remote: unreachable });
      const result = await svc.runAtBoot();
      expect(result).to.include({ mode: 'production', reason: 'not-selected' });
      expect(result.branch.switched).to.equal(true);
      expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(await bed.masterTip());
      expect(lines.some((l) => l.includes('local origin/master'))).to.equal(true);
    });

    it('an unreachable MongoDB still leaves a cohort node where it is (store-unavailable)', async function () {
      const client = new MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 300 });
      try {
        const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
        const result = await loggedService(dir, new MongoStateStore(client.db('zelfluxlocaltest')), {
          probability: 0.5,
          remote: bed.upstream,
        }).svc.runAtBoot();
        expect(result).to.include({ mode: 'preprod', reason: 'store-unavailable' });
      } finally {
        await client.close(true).catch(() => undefined);
      }
    });
  });
});
