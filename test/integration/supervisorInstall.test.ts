/**
 * Restarts and installs under the supervisors a FluxOS node really has (docs/design.md §5): the real pm2,
 * the real nodemon with FluxOS's own nodemon.json (crash hook included, delay shortened), and a
 * FluxOS-shaped app.js that differs between master and preprod, so the checkout replaces it and nodemon
 * loses its watch on that file.
 * - A dependency-changing switch: the new code starts once, after its install; no crash, one install.
 * - The post-install restart and the recheck's restart really restart.
 * - A boot SIGKILLed during its inline install: never two installs at once.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { GitBed } from '../support/gitBed';
import {
  alive,
  createFluxosBed,
  HEALTHY_RELEASE,
  NEEDS_DEP,
  Pm2,
  readEvents,
  waitUntil,
  type BedEvent,
  type Release,
} from '../support/restart/fluxosBed';
import { makeTempDir } from '../support/tmp';

/**
 * A slow install, as npm is on a node: it notes its start and end, finds another install running at the
 * same time (a lock directory it cannot create), and then installs the new dependency.
 */
function installScript(log: string, lock: string, ms: number): string[] {
  const source = `const fs = require('fs');
const note = (what) => fs.appendFileSync(${JSON.stringify(log)}, what + ' ' + process.pid + '\\n');
try { fs.mkdirSync(${JSON.stringify(lock)}); } catch (error) { note('OVERLAP'); }
note('start');
setTimeout(() => {
  fs.mkdirSync('node_modules/dep', { recursive: true });
  fs.writeFileSync('node_modules/dep/index.js', 'module.exports = 1;\\n');
  note('end');
  fs.rmSync(${JSON.stringify(lock)}, { recursive: true, force: true });
}, ${ms});`;
  return [process.execPath, '-e', source];
}

describe('installs and restarts under real pm2 and nodemon (FluxOS nodemon.json)', function () {
  this.timeout(10 * 60_000);
  const beds: GitBed[] = [];
  let pm2: Pm2;
  let temp: { dir: string; remove: () => void };

  beforeEach(function () {
    temp = makeTempDir('fluxos-preprod-pm2-install-');
    pm2 = new Pm2(path.join(temp.dir, 'pm2'));
  });
  afterEach(async function () {
    await pm2.kill();
    temp.remove();
  });
  after(async function () {
    for (const bed of beds) await bed.cleanup();
  });

  async function node(release: Release, how: 'nodemon' | 'direct', install: { ms: number }, recheckMs?: number) {
    const bed = await createFluxosBed(release);
    beds.push(bed);
    const dir = await bed.cloneNode('node');
    const events = path.join(temp.dir, 'events');
    const installs = path.join(temp.dir, 'installs.log');
    const lock = path.join(temp.dir, 'install.lock');
    const store = path.join(temp.dir, 'state.json');
    const config = {
      remote: bed.upstream,
      store,
      events,
      install: installScript(installs, lock, install.ms),
      recheckMs,
    };
    await pm2.startFlux(dir, config, how);
    const all = () => readEvents(events);
    const installLog = () => {
      try {
        return readFileSync(installs, 'utf8');
      } catch {
        return '';
      }
    };
    const why = () => {
      const lines = all().map((e) => `${e.pid} ${e.release} ${e.event} ${e.result?.reason ?? e.message ?? ''}`);
      return `events:\n${lines.join('\n')}\ninstalls:\n${installLog()}\npm2 log:\n${pm2.nodemonLog()}`;
    };
    return { bed, dir, all, installLog, why };
  }

  const preprodBoot = (events: BedEvent[]) => events.find((e) => e.event === 'boot' && e.release === 'preprod');

  it('a dependency-changing switch: the new code starts once, after its install; one install', async function () {
    const n = await node({ release: NEEDS_DEP, newDependency: true }, 'nodemon', { ms: 4000 });
    await waitUntil('the preprod boot', () => preprodBoot(n.all()) !== undefined, n.why);
    // The detached install saw the start that waited for it, and restarted nothing more.
    const runnerLog = () => readFileSync(path.join(n.dir, '.git', 'fluxos-preprod-install.log'), 'utf8');
    await waitUntil('the install to end', () => /no restart needed/.test(runnerLog()), n.why);
    const preprodStarts = n.all().filter((e) => e.event === 'started' && e.release === 'preprod');
    expect(preprodStarts, n.why()).to.have.length(1);
    expect(preprodStarts[0].dep, n.why()).to.equal(true);
    expect(preprodBoot(n.all())?.result, n.why()).to.include({ mode: 'preprod', reason: 'selected' });
    expect(n.installLog().match(/^start /gm), n.why()).to.have.length(1);
    expect(n.installLog(), n.why()).not.to.include('OVERLAP');
    expect(pm2.nodemonLog(), n.why()).not.to.include('app crashed');
  });

  it('the post-install restart reaches nodemon although the checkout replaced app.js (no guard)', async function () {
    const n = await node({ release: HEALTHY_RELEASE, newDependency: true, noGuard: true }, 'nodemon', { ms: 4000 });
    // nodemon's restart after the checkout starts preprod's code before its install ends; the install's restart
    // must bring it up again, now with the dependency in.
    const withDep = () => n.all().find((e) => e.event === 'started' && e.release === 'preprod' && e.dep === true);
    await waitUntil('preprod code started after its install', () => withDep() !== undefined, n.why);
    expect(n.installLog().match(/^end /gm), n.why()).to.have.length(1);
  });

  it("the recheck's restart restarts nodemon although the checkout replaced app.js", async function () {
    const n = await node({ release: HEALTHY_RELEASE }, 'nodemon', { ms: 10 }, 4000);
    await waitUntil('the preprod boot', () => preprodBoot(n.all()) !== undefined, n.why);
    // preprod is withdrawn: the recheck finds it gone and restarts FluxOS; the next boot takes the node to master.
    await n.bed.deleteBranch('preprod');
    const back = () => n.all().find((e) => e.event === 'boot' && e.release === 'master');
    await waitUntil('master code after the recheck', () => back() !== undefined, n.why);
    expect(back()?.result, n.why()).to.include({ mode: 'production', reason: 'preprod-unavailable' });
  });

  it('a boot SIGKILLed during its inline install: never two installs at once', async function () {
    const n = await node({ release: NEEDS_DEP, newDependency: true }, 'direct', { ms: 5000 });
    await waitUntil('the install to start', () => /^start /m.test(n.installLog()), n.why);
    const switching = n.all().find((e) => e.event === 'started' && e.release === 'master') as BedEvent;
    process.kill(switching.pid, 'SIGKILL');
    // pm2 starts FluxOS again at once, while the killed boot's install still runs in its own process group.
    await waitUntil('the preprod boot', () => preprodBoot(n.all()) !== undefined, n.why);
    expect(alive(switching.pid)).to.equal(false);
    expect(n.installLog(), n.why()).not.to.include('OVERLAP');
    expect(preprodBoot(n.all())?.result, n.why()).to.include({ mode: 'preprod', reason: 'selected' });
    const crashed = n.all().filter((e) => e.event === 'started' && e.release === 'preprod' && e.dep !== true);
    expect(crashed, n.why()).to.deep.equal([]);
  });
});
