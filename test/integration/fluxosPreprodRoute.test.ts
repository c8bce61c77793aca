/**
 * The recipe's cheap route (docs/health.md): FluxOS with the recipe applied answers `GET /flux/preprod`
 * with its version and the package's fields while `/flux/info` answers with FluxOS's error envelope (one
 * failing component), and the fleet scanner counts such a node as degraded, with the state the cheap route
 * gives, instead of silent. Played on the stand-in FluxOS (its routes.js registers routes as FluxOS's does),
 * `node app.js` as a real process, the package installed from its `npm pack` tarball, real HTTP.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { scanFleet } from '../../src/fleet/scan';
import {
  createFluxosWorld,
  freePort,
  getJson,
  npmInstall,
  packPackage,
  startFluxos,
  writeUserconfig,
  type FluxosWorld,
  type RunningFluxos,
} from '../support/fluxosStandIn';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';

const BROKEN = 'fluxd: Loading block index...';

describe('GET /flux/preprod from the recipe, while /flux/info fails (stand-in FluxOS, packed tarball)', function () {
  this.timeout(120_000);
  let temp: { dir: string; remove: () => void };
  let world: FluxosWorld;
  let template: string;
  let mongoPort: number;
  const running: RunningFluxos[] = [];

  before(async function () {
    this.timeout(300_000);
    mongoPort = Number(new URL((await requireMongo(this)).url).port);
    temp = makeTempDir('fluxos-preprod-route-');
    const tarball = await packPackage(temp.dir);
    world = await createFluxosWorld();
    template = await world.cloneNode('template');
    await npmInstall(template, tarball);
  });
  afterEach(async function () {
    for (const fluxos of running.splice(0)) await fluxos.stop();
  });
  after(function () {
    world?.cleanup();
    temp?.remove();
  });

  async function startNode(name: string, options: { broken: boolean; withPackage: boolean }): Promise<number> {
    const dir = await world.cloneNode(name);
    const copy = { recursive: true, verbatimSymlinks: true };
    await fs.cp(path.join(template, 'node_modules'), path.join(dir, 'node_modules'), copy);
    if (!options.withPackage) await fs.rm(path.join(dir, 'node_modules/fluxos-preprod'), { recursive: true });
    const port = await freePort();
    await writeUserconfig(dir, port);
    const config = {
      server: { allowedPorts: [port] },
      database: { port: mongoPort, local: { database: uniqueDbName('route') } },
      preProd: { probability: 0, remote: world.upstream, restart: 'none' },
    };
    const env = options.broken ? { STANDIN_FLUXINFO_ERROR: BROKEN } : {};
    const fluxos = startFluxos(dir, config, env);
    running.push(fluxos);
    await fluxos.waitFor(/Flux functions started/);
    return port;
  }

  it('answers with the version and the package fields while /flux/info is an error envelope', async () => {
    const startedAt = Math.floor(Date.now() / 1000);
    const port = await startNode('broken', { broken: true, withPackage: true });

    const info = await getJson(port, '/flux/info');
    expect(info).to.deep.equal({ status: 'error', data: { code: -28, name: 'RPCError', message: BROKEN } });

    const cheap = await getJson(port, '/flux/preprod');
    expect(cheap.status).to.equal('success');
    expect(cheap.data.flux).to.include({ version: '8.17.0', preProdNode: false });
    expect(cheap.data.flux.preProd).to.include({ mode: 'production', reason: 'not-selected', branch: 'master' });
    const bootedAt = Date.parse(cheap.data.flux.preProd.bootedAt) / 1000;
    expect(bootedAt).to.be.within(startedAt - 1, Math.ceil(Date.now() / 1000));
  });

  it('the scanner counts that node as degraded (answered), with its state from /flux/preprod', async () => {
    const port = await startNode('scanned', { broken: true, withPackage: true });
    const [result] = await scanFleet([{ host: '127.0.0.1', port }], { timeoutMs: 30_000 });
    expect(result).to.deep.include({ kind: 'degraded', state: 'production', version: '8.17.0', detail: 'RPCError' });
    expect(result.reason).to.equal('not-selected');
    expect(result.health?.degraded).to.equal('daemon');
    expect(result.health?.bootedAt).to.be.a('number');
  });

  it('without the package the route still answers (version only); the node is degraded, state unknown', async () => {
    const port = await startNode('no-package', { broken: true, withPackage: false });
    const cheap = await getJson(port, '/flux/preprod');
    expect(cheap).to.deep.equal({ status: 'success', data: { flux: { version: '8.17.0' } } });
    const [result] = await scanFleet([{ host: '127.0.0.1', port }], { timeoutMs: 30_000 });
    expect(result.kind).to.equal('degraded');
    expect(result.state).to.equal('unknown');
  });

  it('a healthy node is read from /flux/info alone', async () => {
    const port = await startNode('healthy', { broken: false, withPackage: true });
    const [result] = await scanFleet([{ host: '127.0.0.1', port }], { timeoutMs: 30_000 });
    expect(result).to.deep.include({ kind: 'production', version: '8.17.0' });
    expect(result.health?.degraded).to.equal(null);
    expect(result.health?.bootedAt).to.be.a('number');
  });
});
