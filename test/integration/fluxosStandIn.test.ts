/**
 * FluxOS with the recipe applied (docs/design.md §5, §9), played on the stand-in FluxOS: its own layout
 * and load order, `node app.js` as a real process, the package installed from its `npm pack` tarball next
 * to FluxOS's own mongodb 6.18, the real MongoDB-protocol server of the test suite, /flux/info over HTTP.
 * - FluxOS starts without the package (missing, or failing to load): one log line, no preprod fields.
 * - The boot step uses FluxOS's own MongoDB client, which the recipe starts early, and opens none itself.
 * - A MongoDB that comes up after FluxOS costs the boot a bounded wait, and FluxOS still ends up with one
 *   client: the recipe's early connection attempt and waitForMongo() share it.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import {
  COUNT_MONGO_CLIENTS,
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

type PackageState = 'installed' | 'missing' | 'broken';

describe('FluxOS with the recipe (stand-in FluxOS, packed tarball, MongoDB-protocol server)', function () {
  this.timeout(120_000);
  let temp: { dir: string; remove: () => void };
  let world: FluxosWorld;
  let template: string;
  let mongoUrl: string;
  let mongoPort: number;
  let client: MongoClient;
  const running: RunningFluxos[] = [];
  const servers: net.Server[] = [];

  before(async function () {
    this.timeout(300_000);
    mongoUrl = (await requireMongo(this)).url;
    mongoPort = Number(new URL(mongoUrl).port);
    client = await new MongoClient(mongoUrl).connect();
    temp = makeTempDir('fluxos-standin-pack-');
    const tarball = await packPackage(temp.dir);
    world = await createFluxosWorld();
    template = await world.cloneNode('template');
    await npmInstall(template, tarball);
  });
  afterEach(async function () {
    for (const fluxos of running.splice(0)) await fluxos.stop();
    for (const server of servers.splice(0)) server.close();
  });
  after(async function () {
    await client?.close();
    world?.cleanup();
    temp?.remove();
  });

  /** A node checkout on master with FluxOS's node_modules (copied from the template's install). */
  async function newNode(name: string, state: PackageState): Promise<{ dir: string; port: number }> {
    const dir = await world.cloneNode(name);
    const copy = { recursive: true, verbatimSymlinks: true };
    await fs.cp(path.join(template, 'node_modules'), path.join(dir, 'node_modules'), copy);
    const pkg = path.join(dir, 'node_modules/fluxos-preprod');
    if (state === 'missing') await fs.rm(pkg, { recursive: true });
    if (state === 'broken') {
      await fs.writeFile(path.join(pkg, 'build/src/index.js'), "throw new Error('half-installed');\n");
    }
    const port = await freePort();
    await writeUserconfig(dir, port);
    return { dir, port };
  }

  function nodeConfig(port: number, dbPort: number, dbName: string): object {
    return {
      server: { allowedPorts: [port] },
      database: { port: dbPort, local: { database: dbName } },
      preProd: { probability: 1, remote: world.upstream, restart: 'none' },
    };
  }

  function start(dir: string, config: object, clientLog: string): RunningFluxos {
    const fluxos = startFluxos(dir, config, { MONGO_CLIENT_LOG: clientLog }, ['--require', COUNT_MONGO_CLIENTS]);
    running.push(fluxos);
    return fluxos;
  }

  /** Where a node's MongoDB clients are counted: outside the checkout, which a switch may tidy. */
  function clientLog(dir: string): string {
    return `${dir}.clients.txt`;
  }

  async function clientEvents(file: string): Promise<string[]> {
    return (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');
  }

  for (const state of ['missing', 'broken'] as const) {
    it(`boots as before when fluxos-preprod is ${state}: one log line, no preprod fields`, async function () {
      const { dir, port } = await newNode(`no-package-${state}`, state);
      const fluxos = start(dir, nodeConfig(port, mongoPort, uniqueDbName('nopkg')), clientLog(dir));
      await fluxos.waitFor(/Flux functions started/);

      const mentions = fluxos
        .output()
        .split('\n')
        .filter((line) => /fluxos-preprod|preprod:/.test(line));
      expect(mentions, fluxos.output()).to.have.length(1);
      expect(mentions[0]).to.match(/^warn .*fluxos-preprod could not be loaded, this node stays on its branch/);
      expect(await fs.readFile(path.join(dir, 'warn.log'), 'utf8')).to.include('fluxos-preprod could not be loaded');

      const info = await getJson(port, '/flux/info');
      expect(info.status).to.equal('success');
      expect(info.data.flux).to.include({ version: '8.17.0', staticIp: false, dbConnected: true });
      expect(info.data.flux).to.not.have.any.keys('preProdNode', 'preProd');
      expect(await world.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
      expect(await clientEvents(clientLog(dir))).to.deep.equal(['start 1', 'ok 1']);
    });
  }

  it("boots through FluxOS's own MongoDB client, started early, and opens no client of its own", async function () {
    const { dir, port } = await newNode('selected', 'installed');
    const dbName = uniqueDbName('standin');
    const clients = clientLog(dir);
    const fluxos = start(dir, nodeConfig(port, mongoPort, dbName), clients);
    await fluxos.waitFor(/Flux functions started/);

    const lines = fluxos.output().split('\n');
    const index = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    expect(index(/\[preprod\].*selected/), fluxos.output()).to.be.greaterThan(-1);
    expect(index(/\[preprod\].*selected/)).to.be.lessThan(index(/DNS cache ready/));
    expect(index(/DNS cache ready/)).to.be.lessThan(index(/Flux listening on port/));

    expect(await world.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
    const info = await getJson(port, '/flux/info');
    expect(info.data.flux.preProdNode).to.equal(true);
    expect(info.data.flux.preProd).to.include({ mode: 'preprod', reason: 'selected', branch: 'preprod' });
    const record = await client.db(dbName).collection('state').findOne({ key: 'isPreProd' });
    expect(record).to.include({ value: true });
    expect(await clientEvents(clients), "one client, FluxOS's").to.deep.equal(['start 1', 'ok 1']);
    await client.db(dbName).dropDatabase();
  });

  it('under `exit`, a switch ends the process before FluxOS boots on; the restart runs preprod', async function () {
    const { dir, port } = await newNode('exit', 'installed');
    const preProd = { probability: 1, remote: world.upstream, restart: 'exit' };
    const config = { ...nodeConfig(port, mongoPort, uniqueDbName('exit')), preProd };
    const first = start(dir, config, clientLog(dir));
    // Either the process ends, or FluxOS goes on booting (and serving) with the old code in memory.
    await Promise.race([first.exited, first.waitFor(/Flux listening on port/).catch(() => undefined)]);
    expect(first.output(), 'no old code running over the new checkout').to.not.match(/DNS cache ready|Flux listening/);
    expect(await first.exited).to.not.equal(0);
    expect(await world.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');

    // What systemd or pm2 does next: start it again, now on preprod's code.
    const second = start(dir, config, clientLog(dir));
    await second.waitFor(/Flux listening on port/);
    const info = await getJson(port, '/flux/info');
    expect(info.data.flux).to.include({ version: '8.18.0', preProdNode: true });
  });

  it('waits a bounded time for a MongoDB not up yet; FluxOS then gets one client once it is', async function () {
    const { dir, port } = await newNode('late-mongo', 'installed');
    const latePort = await freePort();
    const clients = clientLog(dir);
    const fluxos = start(dir, nodeConfig(port, latePort, uniqueDbName('late')), clients);
    await fluxos.waitFor(/Flux listening on port/);

    const branch = await world.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD');
    expect(branch, 'no cohort move without the store').to.equal('master');
    const info = await getJson(port, '/flux/info');
    expect(info.data.flux).to.include({ preProdNode: false, dbConnected: false });
    expect(info.data.flux.preProd.reason).to.equal('store-unavailable');

    servers.push(await forwardTo(latePort, mongoPort));
    await fluxos.waitFor(/Flux functions started/);
    const events = await clientEvents(clients);
    expect(
      events.filter((event) => event.startsWith('ok')),
      events.join(', '),
    ).to.have.length(1);
    expect(inFlightAtOnce(events), `attempts overlapped: ${events.join(', ')}`).to.equal(1);
  });
});

/** The most connection attempts that were in flight at the same time. */
function inFlightAtOnce(events: string[]): number {
  let open = 0;
  let most = 0;
  for (const event of events) {
    open += event.startsWith('start') ? 1 : -1;
    most = Math.max(most, open);
  }
  return most;
}

/** A TCP forwarder from `port` to `target` on 127.0.0.1: "mongod" comes up on `port` now. */
function forwardTo(port: number, target: number): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const upstream = net.connect(target, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
