import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { createTestService, type TestServiceOptions } from '../../src/testing';
import { FileStateStore, MongoStateStore, type StateStore } from '../../src/state';
import { COHORT_KEY } from '../../src/types';
import { createGitBed, type GitBed } from '../support/gitBed';
import { requireMongo, uniqueDbName } from '../support/mongoServer';

interface Captured {
  lines: string[];
  logger: { error(m: string): void; warn(m: string): void; info(m: string): void; debug(m: string): void };
}

function captureLogger(): Captured {
  const lines: string[] = [];
  const push = (level: string) => (m: string) => lines.push(`${level} ${m}`);
  return { lines, logger: { error: push('error'), warn: push('warn'), info: push('info'), debug: push('debug') } };
}

async function readBytes(file: string): Promise<Buffer | null> {
  return fs.readFile(file).catch(() => null);
}

/** The boot path on one store implementation, against a real git bed. */
function bootSuite(
  name: string,
  openStore: (context: Mocha.Context) => Promise<{ open: () => Promise<StateStore>; cleanup: () => Promise<void> }>,
) {
  describe(`boot step on real git, ${name} store`, function () {
    let bed: GitBed;
    let stores: { open: () => Promise<StateStore>; cleanup: () => Promise<void> };
    const opened: StateStore[] = [];

    before(async function () {
      stores = await openStore(this);
      bed = await createGitBed();
    });
    after(async function () {
      await Promise.all(opened.map((s) => s.close()));
      await stores?.cleanup();
      await bed?.cleanup();
    });

    async function service(
      dir: string,
      store: StateStore,
      preProd: Record<string, unknown>,
      extra: Partial<TestServiceOptions> = {},
    ) {
      const log = captureLogger();
      const svc = createTestService({
        repoDir: dir,
        store,
        settings: {
          preProd: {
            remote: bed.upstream,
            restart: 'none',
            fetchTimeoutMs: 3000,
            installCommand: ['true'],
            ...preProd,
          },
        },
        logger: log.logger,
        armHealthyTimer: false,
        random: () => 0.03,
        ...extra,
      });
      return { svc, log };
    }

    async function newStore(): Promise<StateStore> {
      const store = await stores.open();
      opened.push(store);
      return store;
    }

    it('goes master → preprod → master and leaves each local branch at its upstream tip', async function () {
      const dir = await bed.cloneNode();
      const store = await newStore();
      const userconfigBefore = await readBytes(path.join(dir, 'config/userconfig.js'));
      await fs.mkdir(path.join(dir, 'node_modules/dep'), { recursive: true });
      await fs.writeFile(path.join(dir, 'node_modules/dep/index.js'), 'module.exports = 42;\n');
      await fs.writeFile(path.join(dir, 'stray-untracked.txt'), 'left by someone\n');

      const first = await (await service(dir, store, { probability: 0.07 })).svc.runAtBoot();
      expect(first).to.include({ mode: 'preprod', preProdNode: true, reason: 'selected' });
      expect(first.branch).to.deep.equal({ before: 'master', after: 'preprod', switched: true });
      expect(first.cohort!.rolled).to.equal(true);
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
      expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(await bed.preprodTip());
      expect(await bed.git(dir, 'rev-parse', 'master')).to.equal(await bed.masterTip());
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'preprod@{upstream}')).to.equal('origin/preprod');
      expect(String(await readBytes(path.join(dir, 'stray-untracked.txt')))).to.equal('left by someone\n');

      // Kill switch: probability 0 brings it back, with no re-draw.
      const back = await (await service(dir, store, { probability: 0 })).svc.runAtBoot();
      expect(back).to.include({ mode: 'production', preProdNode: false, reason: 'not-selected' });
      expect(back.branch).to.deep.equal({ before: 'preprod', after: 'master', switched: true });
      expect(back.cohort!.rolled).to.equal(false);
      expect(back.cohort!.draw).to.equal(first.cohort!.draw);
      expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(await bed.masterTip());
      expect(await bed.git(dir, 'rev-parse', 'master')).to.equal(await bed.masterTip());
      expect(await bed.git(dir, 'rev-parse', 'preprod')).to.equal(await bed.preprodTip());
      expect(await bed.git(dir, 'status', '--porcelain')).to.equal('?? stray-untracked.txt');

      expect(await readBytes(path.join(dir, 'config/userconfig.js'))).to.deep.equal(userconfigBefore);
      expect((await readBytes(path.join(dir, 'node_modules/dep/index.js')))!.toString()).to.equal(
        'module.exports = 42;\n',
      );
    });

    it('does nothing, with no fetch, when already on the target branch', async function () {
      const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
      const store = await newStore();
      // A remote that would fail if it were fetched proves there is no network use.
      await bed.git(dir, 'remote', 'set-url', 'origin', '/nonexistent/upstream.git');
      const { svc } = await service(dir, store, { probability: 0.07, remote: '/nonexistent/upstream.git' });
      const result = await svc.runAtBoot();
      expect(result).to.include({ mode: 'preprod', reason: 'selected' });
      expect(result.branch.switched).to.equal(false);
    });

    it('leaves a custom branch and a detached HEAD alone', async function () {
      const custom = await bed.cloneNode();
      await bed.git(custom, 'checkout', '-q', '-b', 'my-feature');
      const detached = await bed.cloneNode();
      await bed.git(detached, 'checkout', '-q', '--detach', 'HEAD');
      for (const [dir, branch] of [
        [custom, 'my-feature'],
        [detached, null],
      ] as const) {
        const head = await bed.git(dir, 'rev-parse', 'HEAD');
        const result = await (await service(dir, await newStore(), { probability: 1 })).svc.runAtBoot();
        expect(result.reason).to.equal('unmanaged-branch');
        expect(result.branch).to.deep.equal({ before: branch, after: branch, switched: false });
        expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(head);
      }
    });

    it(
      'finds the remote cloned as https://github.com/runonflux/flux when configured as ' +
        'https://github.com/RunOnFlux/flux.git',
      async function () {
        const dir = await bed.cloneNode(undefined, { remoteUrl: 'https://github.com/runonflux/flux' });
        const result = await (
          await service(dir, await newStore(), { probability: 1, remote: 'https://github.com/RunOnFlux/flux.git' })
        ).svc.runAtBoot();
        expect(result).to.include({ mode: 'preprod', reason: 'selected' });
        expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(await bed.preprodTip());
      },
    );

    it('reports remote-not-found when no remote fetches from the configured URL', async function () {
      const dir = await bed.cloneNode();
      const result = await (
        await service(dir, await newStore(), { probability: 1, remote: 'https://github.com/someone-else/flux.git' })
      ).svc.runAtBoot();
      expect(result).to.include({ mode: 'production', reason: 'remote-not-found' });
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
    });

    it(
      'gives fetch-failed within the deadline and leaves the checkout unchanged when the remote ' + 'stalls',
      async function () {
        // A TCP listener that accepts and never answers: git hangs until our timeout kills it.
        const sockets: net.Socket[] = [];
        const stall = net.createServer((socket) => sockets.push(socket));
        await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
        const url = `http://127.0.0.1:${(stall.address() as net.AddressInfo).port}/flux.git`;
        try {
          const dir = await bed.cloneNode();
          await bed.git(dir, 'remote', 'set-url', 'origin', url);
          const head = await bed.git(dir, 'rev-parse', 'HEAD');
          const started = Date.now();
          const { svc, log } = await service(dir, await newStore(), {
            probability: 1,
            remote: url,
            fetchTimeoutMs: 800,
            bootDeadlineMs: 5000,
          });
          const result = await svc.runAtBoot();
          const took = Date.now() - started;
          expect(result).to.include({ mode: 'production', reason: 'fetch-failed' });
          // The fetch timed out (800 ms) before the boot deadline: the reason says fetch-failed, not a deadline.
          expect(took).to.be.at.least(750);
          expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(head);
          expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
          expect(log.lines.some((l) => l.includes('fetch-failed'))).to.equal(true);
        } finally {
          sockets.forEach((s) => s.destroy());
          stall.close();
        }
      },
    );

    for (const [label, shape] of [
      ['missing on the remote', { noPreprod: true }],
      ['lacking a fix already on master', { lagging: true }],
    ] as const) {
      it(`goes to production with preprod-unavailable when preprod is ${label}`, async function () {
        const odd = await createGitBed(shape);
        try {
          const dir = await odd.cloneNode();
          const result = await (
            await service(dir, await newStore(), { probability: 1, remote: odd.upstream })
          ).svc.runAtBoot();
          expect(result).to.include({ mode: 'production', preProdNode: false, reason: 'preprod-unavailable' });
          expect(await odd.git(dir, 'rev-parse', 'HEAD')).to.equal(await odd.masterTip());
        } finally {
          await odd.cleanup();
        }
      });
    }

    it('runs the install command once when package-lock.json changed, and never when it did not', async function () {
      const local = await createGitBed({ packageJson: { preprod: { version: '1.0.0' } } });
      try {
        const counter = path.join(local.dir, 'installs.txt');
        const installCommand = [
          process.execPath,
          '-e',
          `require('fs').appendFileSync(${JSON.stringify(counter)}, 'x')`,
        ];
        const installs = async () => (await fs.readFile(counter, 'utf8').catch(() => '')).length;
        const same = await local.cloneNode('same');
        await (
          await service(same, await newStore(), { probability: 1, remote: local.upstream, installCommand })
        ).svc.runAtBoot();
        expect(await local.git(same, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
        expect(await installs()).to.equal(0);
        await local.commitTo(
          'preprod',
          { 'package-lock.json': '{"lockfileVersion":3,"packages":{"":{"version":"1.1.1"}}}\n' },
          'lockfile change',
        );
        const changed = await local.cloneNode('changed');
        const store = await newStore();
        await (
          await service(changed, store, { probability: 1, remote: local.upstream, installCommand })
        ).svc.runAtBoot();
        expect(await installs()).to.equal(1);
        await (
          await service(changed, store, { probability: 1, remote: local.upstream, installCommand })
        ).svc.runAtBoot();
        expect(await installs()).to.equal(1);
      } finally {
        await local.cleanup();
      }
    });

    it('logs every decision once as one readable line with its reason', async function () {
      const dir = await bed.cloneNode();
      const { svc, log } = await service(dir, await newStore(), { probability: 0 });
      await svc.runAtBoot();
      const decisions = log.lines.filter((l) => l.includes('not-selected'));
      expect(decisions).to.have.length(1);
      expect(decisions[0]).to.match(
        /^info \[preprod\] production: not-selected \(.*\) → branch master; already on it$/,
      );
    });

    it('status changes nothing: the store and the checkout are identical before and after', async function () {
      const dir = await bed.cloneNode();
      const store = await newStore();
      await (await service(dir, store, { probability: 0.07 })).svc.runAtBoot(); // now on preprod, with a record
      const recordBefore = await store.get(COHORT_KEY);
      const headBefore = await bed.git(dir, 'rev-parse', 'HEAD');
      const { svc } = await service(
        dir,
        store,
        { probability: 0 },
        {
          random: () => {
            throw new Error('status must not draw');
          },
        },
      );
      const status = await svc.status();
      expect(status).to.include({ mode: 'preprod', preProdNode: true, reason: 'not-selected' });
      expect(status.branch).to.deep.equal({ before: 'preprod', after: 'master', switched: false });
      expect(await store.get(COHORT_KEY)).to.deep.equal(recordBefore);
      expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(headBefore);
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
    });
  });
}

bootSuite('file', async () => {
  const bedDir = await fs.mkdtemp(path.join(require('node:os').tmpdir(), 'fluxos-preprod-stores-'));
  let n = 0;
  return {
    open: async () => new FileStateStore(path.join(bedDir, `state-${++n}.json`)),
    cleanup: async () => fs.rm(bedDir, { recursive: true, force: true }),
  };
});

bootSuite('mongodb', async (context) => {
  const server = await requireMongo(context);
  const client = await new MongoClient(server.url).connect();
  const names: string[] = [];
  return {
    open: async () => {
      const name = uniqueDbName('boot');
      names.push(name);
      return new MongoStateStore(client.db(name));
    },
    cleanup: async () => {
      await Promise.all(
        names.map((n) =>
          client
            .db(n)
            .dropDatabase()
            .catch(() => undefined),
        ),
      );
      await client.close();
    },
  };
});
