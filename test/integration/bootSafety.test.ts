import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { createTestService, type TestServiceOptions } from '../../src/testing';
import { FileStateStore, MongoStateStore, type StateStore } from '../../src/state';
import { BOOT_HEALTH_KEY, COHORT_KEY, OPT_OUT_KEY } from '../../src/types';
import { createGitBed, type GitBed } from '../support/gitBed';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';

const noopLogger = { error() {}, warn() {}, info() {}, debug() {} };

describe('boot step safety nets', function () {
  let bed: GitBed;
  let tmp: { dir: string; remove: () => void };
  let n = 0;

  before(async function () {
    bed = await createGitBed();
    tmp = makeTempDir('fluxos-preprod-safety-');
  });
  after(async function () {
    await bed?.cleanup();
    tmp?.remove();
  });

  const storeFile = () => path.join(tmp.dir, `state-${++n}.json`);

  function service(
    dir: string,
    store: StateStore | undefined,
    preProd: Record<string, unknown>,
    extra: Partial<TestServiceOptions> = {},
  ) {
    const lines: string[] = [];
    const logger = {
      error: (m: string) => lines.push(`error ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
      info: (m: string) => lines.push(`info ${m}`),
      debug: () => undefined,
    };
    const svc = createTestService({
      repoDir: dir,
      store,
      settings: {
        preProd: { remote: bed.upstream, restart: 'none', fetchTimeoutMs: 3000, installCommand: ['true'], ...preProd },
      },
      logger,
      armHealthyTimer: false,
      random: () => 0.03,
      ...extra,
    });
    return { svc, lines };
  }

  describe('crash-loop fallback', function () {
    it('falls back after maxUnhealthyBoots unhealthy preprod boots, and says so on /flux/info', async function () {
      const dir = await bed.cloneNode();
      const store = new FileStateStore(storeFile());
      const reasons: string[] = [];
      // The first boot switches (it runs master's code and never counts); three preprod boots are never marked healthy.
      for (let boot = 1; boot <= 5; boot++) {
        const result = await service(dir, store, { probability: 1, maxUnhealthyBoots: 3 }).svc.runAtBoot();
        reasons.push(`${result.mode}/${result.reason}`);
      }
      expect(reasons).to.deep.equal([
        'preprod/selected',
        'preprod/selected',
        'preprod/selected',
        'preprod/selected',
        'production/crash-loop',
      ]);
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
      expect(await bed.git(dir, 'rev-parse', 'master')).to.equal(await bed.masterTip());

      // It stays on production for the rest of the cohort period, and shows why.
      const { svc } = service(dir, store, { probability: 1, maxUnhealthyBoots: 3 });
      const again = await svc.runAtBoot();
      expect(again).to.include({ mode: 'production', reason: 'crash-loop', preProdNode: false });
      expect(svc.fluxInfo().preProd).to.include({ mode: 'production', reason: 'crash-loop' });
      expect(svc.fluxInfo().preProdNode).to.equal(false);
    });

    it('never falls back while preprod boots are marked healthy', async function () {
      const dir = await bed.cloneNode();
      const store = new FileStateStore(storeFile());
      for (let boot = 1; boot <= 5; boot++) {
        const { svc } = service(dir, store, { probability: 1, maxUnhealthyBoots: 2 });
        const result = await svc.runAtBoot();
        expect(result.reason, `boot ${boot}`).to.equal('selected');
        // The switching boot runs master's code: healthy changes nothing there.
        expect(await svc.markHealthy(), `boot ${boot}`).to.equal(boot > 1);
      }
      expect((await store.get(BOOT_HEALTH_KEY))!.unhealthyBoots).to.equal(0);
    });

    it('marks a preprod boot healthy by itself when the process stays up (unref-ed timer)', async function () {
      const dir = await bed.cloneNode();
      const store = new FileStateStore(storeFile());
      await service(dir, store, { probability: 1 }).svc.runAtBoot(); // the switch
      const { svc } = service(dir, store, { probability: 1, healthyAfterMs: 50 }, { armHealthyTimer: true });
      await svc.runAtBoot();
      expect((await store.get(BOOT_HEALTH_KEY))!.openSince).to.be.instanceOf(Date);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await store.get(BOOT_HEALTH_KEY)).not.to.have.property('openSince');
    });

    it('starts a new cohort period clean', async function () {
      const dir = await bed.cloneNode();
      const store = new FileStateStore(storeFile());
      let clock = Date.parse('2026-01-01T00:00:00Z');
      const boot = () =>
        service(dir, store, { probability: 1, maxUnhealthyBoots: 1 }, { now: () => new Date(clock) }).svc.runAtBoot();
      expect((await boot()).reason).to.equal('selected'); // switches
      expect((await boot()).reason).to.equal('selected'); // runs preprod, never marked healthy
      expect((await boot()).reason).to.equal('crash-loop');
      clock += 31 * 86_400_000; // the draw expires; a new period begins
      const fresh = await boot();
      expect(fresh).to.include({ mode: 'preprod', reason: 'selected' });
      expect(fresh.cohort!.rolled).to.equal(true);
    });
  });

  describe('opt-out and development', function () {
    it('remembers an opt-out when FluxOS rewrites userconfig.js without the key, until set false', async function () {
      const dir = await bed.cloneNode();
      const store = new FileStateStore(storeFile());
      await bed.writeUserconfig(dir, { ipaddress: '127.0.0.1', disablePreProd: true });
      expect((await service(dir, store, { probability: 1 }).svc.runAtBoot()).reason).to.equal('disabled');
      await bed.writeUserconfig(dir, { ipaddress: '127.0.0.2' }); // key dropped by a rewrite
      const kept = await service(dir, store, { probability: 1 }).svc.runAtBoot();
      expect(kept).to.include({ mode: 'production', reason: 'disabled', optedOut: true });
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
      await bed.writeUserconfig(dir, { ipaddress: '127.0.0.2', disablePreProd: false });
      const cleared = await service(dir, store, { probability: 1 }).svc.runAtBoot();
      expect(cleared).to.include({ mode: 'preprod', reason: 'selected', optedOut: false });
      expect(await store.get(OPT_OUT_KEY)).to.equal(null);
    });

    it('takes an opted-out preprod node back to master at its next boot', async function () {
      const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
      await bed.writeUserconfig(dir, { disablePreProd: true });
      const result = await service(dir, new FileStateStore(storeFile()), { probability: 1 }).svc.runAtBoot();
      expect(result).to.include({ mode: 'production', reason: 'disabled' });
      expect(result.branch).to.deep.equal({ before: 'preprod', after: 'master', switched: true });
    });

    it('skips a development node with no store write and no git', async function () {
      const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
      await bed.writeUserconfig(dir, { development: true });
      const file = storeFile();
      const result = await service(dir, new FileStateStore(file), { probability: 0 }).svc.runAtBoot();
      expect(result).to.include({ mode: 'skipped', reason: 'development' });
      expect(await fs.stat(file).catch(() => null)).to.equal(null);
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
    });

    it('treats an unreadable disablePreProd as an opt-out and logs one sentence naming the file', async function () {
      const dir = await bed.cloneNode();
      await bed.writeUserconfig(dir, { disablePreProd: 'maybe' });
      const { svc, lines } = service(dir, new FileStateStore(storeFile()), { probability: 1 });
      const result = await svc.runAtBoot();
      expect(result).to.include({ mode: 'production', reason: 'disabled' });
      const error = lines.find((l) => l.startsWith('error'));
      expect(error).to.include(path.join(dir, 'config', 'userconfig.js'));
    });
  });

  describe('bad store contents', function () {
    it('leaves the node where it is on a corrupt state file, and leaves the file for a person', async function () {
      const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
      const file = storeFile();
      await fs.writeFile(file, '{"isPreProd": {"value": tr');
      const { svc, lines } = service(dir, new FileStateStore(file), { probability: 0.07 });
      const result = await svc.runAtBoot();
      expect(result).to.include({ mode: 'preprod', preProdNode: true, reason: 'store-unavailable' });
      expect(await fs.readFile(file, 'utf8')).to.equal('{"isPreProd": {"value": tr');
      expect(lines.some((l) => l.includes(file) && l.includes('not valid'))).to.equal(true);
    });

    const wrongShapes: unknown[] = [
      { value: 'yes', draw: 'low' },
      { value: true, draw: 7, rolledAt: new Date(), probability: 0.07, updatedAt: new Date() },
      { value: true, draw: 0.01, rolledAt: 'yesterday', probability: 0.07, updatedAt: new Date() },
      { value: true, draw: Number.NaN, rolledAt: new Date(), probability: 0.07, updatedAt: new Date() },
      [1, 2, 3],
      'isPreProd',
    ];
    wrongShapes.forEach((shape, i) => {
      it(`draws anew over a stored record of the wrong shape #${i + 1}`, async function () {
        const dir = await bed.cloneNode();
        const file = storeFile();
        await fs.writeFile(file, JSON.stringify({ isPreProd: shape }));
        const store = new FileStateStore(file);
        const result = await service(dir, store, { probability: 0.07 }).svc.runAtBoot();
        expect(result.reason).to.equal('selected');
        expect(result.cohort!.rolled).to.equal(true);
        const stored = await store.get(COHORT_KEY);
        expect(stored!.draw).to.equal(0.03);
      });
    });
  });

  describe('two boots at once on one node', function () {
    it('makes one decision and one record', async function () {
      const dir = await bed.cloneNode();
      const file = storeFile();
      const boots = [0.03, 0.9].map((draw) =>
        service(dir, new FileStateStore(file), { probability: 0.07 }, { random: () => draw }).svc.runAtBoot(),
      );
      const [a, b] = await Promise.all(boots);
      expect(a.cohort!.draw).to.equal(b.cohort!.draw);
      expect(a.mode).to.equal(b.mode);
      const raw = JSON.parse(await fs.readFile(file, 'utf8'));
      expect(raw.isPreProd.draw).to.equal(a.cohort!.draw);
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal(
        a.mode === 'preprod' ? 'preprod' : 'master',
      );
      expect(await fs.stat(path.join(dir, '.git', 'fluxos-preprod.lock')).catch(() => null)).to.equal(null);
    });
  });

  describe('settings the host got wrong', function () {
    it('never throws on invalid settings: skipped, config-invalid, the node left where it is', async function () {
      const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
      const svc = createTestService({
        repoDir: dir,
        store: new FileStateStore(storeFile()),
        settings: { preProd: { probability: 'lots' } },
        logger: noopLogger,
      });
      const result = await svc.runAtBoot();
      expect(result).to.include({ mode: 'skipped', reason: 'config-invalid', preProdNode: true });
      expect(result.message).to.include('Expected `preProd.probability`');
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
    });

    it('never throws for a repoDir that is not a git checkout: repo-unreadable', async function () {
      const result = await service(tmp.dir, new FileStateStore(storeFile()), { probability: 1 }).svc.runAtBoot();
      expect(result.reason).to.equal('repo-unreadable');
    });
  });

  describe('MongoDB faults', function () {
    it('store-unavailable within the deadline when MongoDB stalls, the node left where it is', async function () {
      const sockets: net.Socket[] = [];
      const stall = net.createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
      const port = (stall.address() as net.AddressInfo).port;
      const client = new MongoClient(`mongodb://127.0.0.1:${port}`, { serverSelectionTimeoutMS: 30_000 });
      try {
        const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
        const started = Date.now();
        const svc = createTestService({
          repoDir: dir,
          db: client.db('zelfluxlocaltest'),
          settings: { preProd: { remote: bed.upstream, probability: 0, bootDeadlineMs: 1500 } },
          logger: noopLogger,
        });
        const result = await svc.runAtBoot();
        // It waited for the deadline (the stalled server never answers), then returned the node where it is.
        expect(Date.now() - started).to.be.at.least(1400);
        expect(result).to.include({ mode: 'preprod', reason: 'store-unavailable', preProdNode: true });
        expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
      } finally {
        sockets.forEach((s) => s.destroy());
        stall.close();
        await client.close(true).catch(() => undefined);
      }
    });

    it('returns store-unavailable fast when MongoDB refuses connections', async function () {
      const client = new MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 500 });
      try {
        const dir = await bed.cloneNode();
        const result = await service(
          dir,
          undefined,
          { probability: 1 },
          { db: client.db('zelfluxlocaltest') },
        ).svc.runAtBoot();
        expect(result).to.include({ mode: 'production', reason: 'store-unavailable' });
      } finally {
        await client.close(true).catch(() => undefined);
      }
    });

    it('decides once across two boots at once on a real MongoDB-protocol server', async function () {
      const server = await requireMongo(this);
      const client = await new MongoClient(server.url).connect();
      const dbName = uniqueDbName('twoboots');
      try {
        const dir = await bed.cloneNode();
        const boots = [0.03, 0.9].map((draw) =>
          service(
            dir,
            new MongoStateStore(client.db(dbName)),
            { probability: 0.07 },
            { random: () => draw },
          ).svc.runAtBoot(),
        );
        const [a, b] = await Promise.all(boots);
        expect(a.cohort!.draw).to.equal(b.cohort!.draw);
        expect(await client.db(dbName).collection('state').countDocuments({ key: COHORT_KEY })).to.equal(1);
      } finally {
        await client
          .db(dbName)
          .dropDatabase()
          .catch(() => undefined);
        await client.close();
      }
    });
  });
});
