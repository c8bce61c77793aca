/**
 * The crash accounting under the supervisors a legacy FluxOS node really has (docs/design.md §9): the real
 * pm2 runs nodemon with FluxOS's own nodemon.json (crash hook included, delay shortened), which runs a
 * FluxOS-shaped app.js that differs between master and preprod and starts with the recipe's guard.
 * - Restarts are not crashes: `pm2 restart` and a SIGTERM of a healthy preprod node never count.
 * - A preprod release that throws at import, before the package runs, is counted by the guard, which puts
 *   the node on production after exactly maxUnhealthyBoots starts; the package stores crash-loop.
 * - A hung preprod release that the watchdog restarts is counted.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FileStateStore } from '../../src/state';
import { BOOT_HEALTH_KEY } from '../../src/types';
import type { GitBed } from '../support/gitBed';
import { applyRecipe } from '../support/fluxosStandIn';
import {
  alive,
  createFluxosBed,
  HEALTHY_RELEASE,
  Pm2,
  readEvents,
  THROWS_AT_IMPORT,
  waitUntil,
  type BedEvent,
} from '../support/restart/fluxosBed';
import { runCli, writeSettingsFile } from '../support/cli';
import { WATCHDOG_STANDIN } from '../support/watchdogStandIn';
import { makeTempDir } from '../support/tmp';

const MAX_UNHEALTHY_BOOTS = 3;

interface Node {
  dir: string;
  events: () => BedEvent[];
  boots: () => BedEvent[];
  starts: (release: string) => BedEvent[];
  why: () => string;
  store: string;
}

describe('restarts and crashes under real pm2 and nodemon (FluxOS nodemon.json)', function () {
  this.timeout(10 * 60_000);
  let healthyBed: GitBed;
  let brokenBed: GitBed;
  let pm2: Pm2;
  let temp: { dir: string; remove: () => void };

  before(async function () {
    healthyBed = await createFluxosBed({ release: HEALTHY_RELEASE });
    brokenBed = await createFluxosBed({ release: THROWS_AT_IMPORT });
  });
  beforeEach(function () {
    temp = makeTempDir('fluxos-preprod-pm2-');
    pm2 = new Pm2(path.join(temp.dir, 'pm2'));
  });
  afterEach(async function () {
    await pm2.kill();
    temp.remove();
  });
  after(async function () {
    await healthyBed?.cleanup();
    await brokenBed?.cleanup();
  });

  async function startNode(bed: GitBed, name: string): Promise<Node> {
    const dir = await bed.cloneNode(name);
    const events = path.join(temp.dir, `${name}.events`);
    const store = path.join(temp.dir, `${name}.state.json`);
    await pm2.startFlux(dir, { remote: bed.upstream, store, events, install: ['true'] });
    const all = () => readEvents(events);
    return {
      dir,
      store,
      events: all,
      boots: () => all().filter((e) => e.event === 'boot'),
      starts: (release) => all().filter((e) => e.event === 'started' && e.release === release),
      why: () => {
        const lines = all().map((e) => `${e.pid} ${e.release} ${e.event} ${e.result?.reason ?? e.message ?? ''}`);
        return `events:\n${lines.join('\n')}\nnodemon:\n${pm2.nodemonLog()}`;
      },
    };
  }

  /** Waits for the next boot of preprod's code after `seen` boots, and returns it. */
  async function nextPreprodBoot(node: Node, seen: number): Promise<BedEvent> {
    const later = () =>
      node
        .boots()
        .slice(seen)
        .find((boot) => boot.release === 'preprod');
    await waitUntil('preprod boot', () => later() !== undefined, node.why);
    return later() as BedEvent;
  }

  /**
   * `status` (read-only, from the CLI, as an operator runs it while FluxOS runs) and then the boot it
   * predicts: a `pm2 restart` brings the next one. They must agree (docs/design.md §8).
   */
  async function statusAgreesWithNextBoot(node: Node, bed: GitBed): Promise<{ mode: string; reason: string }> {
    const config = await writeSettingsFile(temp.dir, 'status.json', { remote: bed.upstream, probability: 1 });
    const args = ['status', '--json', '--repo', node.dir, '--store', `file:${node.store}`, '--config', config];
    const status = await runCli(args);
    const predicted = JSON.parse(status.stdout) as { mode: string; reason: string };
    const seen = node.boots().length;
    await pm2.run('restart', 'flux');
    await waitUntil('the boot after status', () => node.boots().length > seen, node.why);
    const next = node.boots()[seen];
    expect(
      { mode: predicted.mode, reason: predicted.reason },
      `status said ${status.stdout}
${node.why()}`,
    ).to.deep.equal({ mode: next.result?.mode, reason: next.result?.reason });
    return { mode: predicted.mode, reason: predicted.reason };
  }

  async function counter(node: Node): Promise<Record<string, unknown> | null> {
    return (await new FileStateStore(node.store).get(BOOT_HEALTH_KEY)) as Record<string, unknown> | null;
  }

  it('three `pm2 restart`s and a SIGTERM of a healthy preprod node: no fallback', async function () {
    const node = await startNode(healthyBed, 'restarted');
    let boot = await nextPreprodBoot(node, 0);
    for (let restart = 0; restart < 3; restart += 1) {
      const seen = node.boots().length;
      await pm2.run('restart', 'flux');
      boot = await nextPreprodBoot(node, seen);
      expect(boot.result, node.why()).to.include({ mode: 'preprod', reason: 'selected' });
    }
    // An operator's (or systemd's) SIGTERM; nodemon then waits, and pm2 brings FluxOS back.
    process.kill(boot.pid, 'SIGTERM');
    await waitUntil('the SIGTERMed process to end', () => !alive(boot.pid), node.why);
    const seen = node.boots().length;
    await pm2.run('restart', 'flux');
    boot = await nextPreprodBoot(node, seen);
    expect(boot.result, node.why()).to.include({ mode: 'preprod', reason: 'selected' });
    expect(boot.result?.branch.after).to.equal('preprod');
    const stored = await counter(node);
    expect(stored?.unhealthyBoots, node.why()).to.equal(0);
    expect(stored?.fellBackAt, node.why()).to.equal(undefined);
    expect(node.starts('preprod'), node.why()).to.have.length(5);
    expect(await statusAgreesWithNextBoot(node, healthyBed)).to.deep.equal({ mode: 'preprod', reason: 'selected' });
  });

  it(`a release that throws at import: production after exactly ${MAX_UNHEALTHY_BOOTS} starts`, async function () {
    const node = await startNode(brokenBed, 'broken');
    // As the watchdog does on a legacy node: a FluxOS that crashed (nodemon waits) is restarted with pm2.
    const fellBack = () => node.boots().find((boot) => boot.release === 'master' && boot.result?.mode === 'production');
    const crashed = () => {
      const last = node.events()[node.events().length - 1];
      return last?.event === 'started' && last.release === 'preprod' && !alive(last.pid);
    };
    for (let restarts = 0; fellBack() === undefined; restarts += 1) {
      await waitUntil('a crash or the fallback', () => fellBack() !== undefined || crashed(), node.why);
      if (fellBack() !== undefined) break;
      expect(restarts, `never fell back\n${node.why()}`).to.be.at.most(MAX_UNHEALTHY_BOOTS + 2);
      const seen = node.events().length;
      await pm2.run('restart', 'flux');
      await waitUntil('the next start', () => fellBack() !== undefined || node.events().length > seen, node.why);
    }
    expect(fellBack()?.result, node.why()).to.include({ mode: 'production', reason: 'crash-loop' });
    expect(node.starts('preprod'), node.why()).to.have.length(MAX_UNHEALTHY_BOOTS);
    expect(await healthyBed.git(node.dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
    expect(await healthyBed.git(node.dir, 'status', '--porcelain')).to.equal('');
    const stored = await counter(node);
    expect(stored?.fellBackAt, node.why()).to.be.instanceOf(Date);
    expect(await statusAgreesWithNextBoot(node, brokenBed)).to.deep.equal({ mode: 'production', reason: 'crash-loop' });
  });

  it('a hung preprod release that the watchdog restarts: each restart counts', async function () {
    const node = await startNode(healthyBed, 'hung');
    const home = path.join(temp.dir, 'watchdog-home');
    await fs.mkdir(home);
    await fs.symlink(node.dir, path.join(home, 'zelflux'));
    const watchdog = path.join(temp.dir, 'watchdog');
    await fs.mkdir(watchdog);
    await fs.copyFile(WATCHDOG_STANDIN, path.join(watchdog, 'watchdog.js'));
    await applyRecipe('watchdog', watchdog);
    const pm2Bin = path.resolve(__dirname, '../../../node_modules/.bin');
    const env = { ...pm2.env, HOME: home, PATH: `${pm2Bin}:${process.env.PATH}` };
    let boot = await nextPreprodBoot(node, 0);
    for (let restart = 0; restart < MAX_UNHEALTHY_BOOTS; restart += 1) {
      const seen = node.events().length;
      // FluxOS does not answer; fluxbench says so twice: the watchdog restarts it.
      const { execFile } = await import('node:child_process');
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, [path.join(watchdog, 'watchdog.js'), 'restart'], { env }, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
      await waitUntil(
        'a start after the restart',
        () =>
          node
            .events()
            .slice(seen)
            .some((e) => e.event === 'boot'),
        node.why,
      );
      boot = node
        .events()
        .slice(seen)
        .find((e) => e.event === 'boot') as BedEvent;
    }
    expect(boot.result, node.why()).to.include({ mode: 'production', reason: 'crash-loop' });
    expect(node.starts('preprod'), node.why()).to.have.length(MAX_UNHEALTHY_BOOTS);
    expect(await statusAgreesWithNextBoot(node, healthyBed)).to.deep.equal({
      mode: 'production',
      reason: 'crash-loop',
    });
  });
});
