/**
 * The crash-loop net (docs/design.md §9) on real git and both real stores:
 * only boots that run preprod code count, the package's own restarts never
 * do, and the fallback is stored when it happens and lasts until the next draw.
 * Each in-process boot here stands for a FluxOS boot; one not followed by
 * markHealthy() is a boot that crashed.
 */
import { expect } from 'chai';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { writeRestartMarker } from '../../src/boot/restartMarker';
import { FileStateStore, MongoStateStore, type StateStore } from '../../src/state';
import { BOOT_HEALTH_KEY } from '../../src/types';
import { loggedService } from '../support/bootBed';
import { createGitBed, type GitBed } from '../support/gitBed';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';

type Stores = { open: () => Promise<StateStore>; cleanup: () => Promise<void> };

function crashLoopSuite(name: string, openStores: (ctx: Mocha.Context) => Promise<Stores>): void {
  describe(`crash-loop fallback on real git, ${name} store`, function () {
    let bed: GitBed;
    let stores: Stores;
    before(async function () {
      stores = await openStores(this);
      bed = await createGitBed();
    });
    after(async function () {
      await stores?.cleanup();
      await bed?.cleanup();
    });

    /** One boot with `preProd`; the service is returned so a test can mark it healthy (FluxOS stayed up). */
    async function boot(dir: string, store: StateStore, preProd: Record<string, unknown>) {
      const { svc } = loggedService(dir, store, { remote: bed.upstream, ...preProd });
      return { result: await svc.runAtBoot(), svc };
    }

    it('a release crashing at start falls back after exactly maxUnhealthyBoots crashing boots', async function () {
      const dir = await bed.cloneNode();
      const store = await stores.open();
      const preProd = { probability: 1, maxUnhealthyBoots: 3 };
      const trace: string[] = [];
      for (let n = 0; n < 6; n += 1) {
        const { result } = await boot(dir, store, preProd);
        trace.push(`${result.branch.before}→${result.branch.after} ${result.reason}`);
      }
      // Boot 1 switches (master's code runs: not counted); boots 2–4 run preprod code and crash; boot 5 falls back.
      expect(trace).to.deep.equal([
        'master→preprod selected',
        'preprod→preprod selected',
        'preprod→preprod selected',
        'preprod→preprod selected',
        'preprod→master crash-loop',
        'master→master crash-loop',
      ]);
    });

    it('maxUnhealthyBoots 1: the preprod code runs once before anything counts', async function () {
      const dir = await bed.cloneNode();
      const store = await stores.open();
      const preProd = { probability: 1, maxUnhealthyBoots: 1 };
      expect((await boot(dir, store, preProd)).result.branch.after).to.equal('preprod'); // the switch
      const second = await boot(dir, store, preProd); // preprod code runs, stays up
      expect(second.result).to.include({ mode: 'preprod', reason: 'selected' });
      expect((await second.svc.markHealthy()).cleared).to.equal(true);
      expect((await boot(dir, store, preProd)).result.reason).to.equal('selected');
    });

    it('the fallback is stored when it happens; healthy on a production boot changes nothing', async function () {
      const dir = await bed.cloneNode();
      const store = await stores.open();
      const preProd = { probability: 1, maxUnhealthyBoots: 1 };
      await boot(dir, store, preProd); // the switch
      await boot(dir, store, preProd); // preprod code, crashes
      const fallback = await boot(dir, store, preProd);
      expect(fallback.result).to.include({ mode: 'production', reason: 'crash-loop' });
      expect(await store.get(BOOT_HEALTH_KEY)).to.have.property('fellBackAt');
      const report = await fallback.svc.markHealthy();
      expect(report.cleared).to.equal(false);
      expect(report.message).to.match(/changes nothing/);
      // The CLI's `healthy` reads the checkout (master now): nothing changes either.
      const { svc } = loggedService(dir, store, { remote: bed.upstream, ...preProd });
      expect((await svc.markHealthy()).cleared).to.equal(false);
      expect((await boot(dir, store, preProd)).result).to.include({ mode: 'production', reason: 'crash-loop' });
    });

    it('probability 1 → 0 → 1 → 0 → 1 uses up no budget: switching boots never count', async function () {
      const dir = await bed.cloneNode();
      const store = await stores.open();
      const reasons: string[] = [];
      for (const probability of [1, 0, 1, 0, 1]) {
        reasons.push((await boot(dir, store, { probability, maxUnhealthyBoots: 1 })).result.reason);
      }
      expect(reasons).to.deep.equal(['selected', 'not-selected', 'selected', 'not-selected', 'selected']);
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
    });

    it('the boot the package ended itself (its restart marker) is not counted', async function () {
      const dir = await bed.cloneNode();
      const store = await stores.open();
      const preProd = { probability: 1, maxUnhealthyBoots: 1 };
      await boot(dir, store, preProd); // the switch
      await boot(dir, store, preProd); // preprod code runs; then the package restarts it:
      expect(await writeRestartMarker(dir, 'install', new Date())).to.equal(true);
      const after = await boot(dir, store, preProd);
      expect(after.result).to.include({ mode: 'preprod', reason: 'selected' });
      expect((await store.get(BOOT_HEALTH_KEY))?.unhealthyBoots).to.equal(0);
    });
  });
}

crashLoopSuite('file', async () => {
  const tmp = makeTempDir('fluxos-preprod-crashloop-');
  let n = 0;
  return {
    open: async () => new FileStateStore(path.join(tmp.dir, `state-${++n}.json`)),
    cleanup: async () => tmp.remove(),
  };
});

crashLoopSuite('mongodb', async (ctx) => {
  const server = await requireMongo(ctx);
  const client = await new MongoClient(server.url).connect();
  const names: string[] = [];
  return {
    open: async () => {
      const name = uniqueDbName('crashloop');
      names.push(name);
      return new MongoStateStore(client.db(name));
    },
    cleanup: async () => {
      await Promise.all(
        names.map((name) =>
          client
            .db(name)
            .dropDatabase()
            .catch(() => undefined),
        ),
      );
      await client.close();
    },
  };
});
