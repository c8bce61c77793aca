/**
 * The recipe's dependency can never stop FluxOS (docs/design.md §9 "Shipping"). FluxOS's `npm start` begins
 * with `npm install --omit=dev --legacy-peer-deps`; here that install runs, for real, on the stand-in FluxOS
 * with the recipe applied, against a registry on 127.0.0.1 that answers 404 for everything (as the public one
 * did for the unpublished package). FluxOS's other dependencies are local `file:` ones, so the package is the
 * only thing npm must ask the registry for. The install exits 0, and FluxOS then starts without the package:
 * one log line, no preprod fields in /flux/info.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { bedEnv } from '../support/gitBed';
import {
  applyRecipe,
  freePort,
  getJson,
  REPO_ROOT,
  run,
  STANDIN_TREE,
  startFluxos,
  writeUserconfig,
  type RunningFluxos,
} from '../support/fluxosStandIn';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';

/** A registry that has nothing: every request is a 404 with npm's JSON error body. Records what was asked. */
async function emptyRegistry(): Promise<{ url: string; asked: string[]; close: () => Promise<void> }> {
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    asked.push(decodeURIComponent(req.url ?? ''));
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'Not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    asked,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the recipe against a registry without the package (FluxOS npm install, stand-in FluxOS)', function () {
  this.timeout(180_000);
  let temp: { dir: string; remove: () => void };
  let registry: Awaited<ReturnType<typeof emptyRegistry>>;
  let fluxos: RunningFluxos | null = null;

  before(async function () {
    temp = makeTempDir('fluxos-registry404-');
    registry = await emptyRegistry();
  });
  after(async function () {
    await fluxos?.stop();
    await registry?.close();
    temp?.remove();
  });

  /** The stand-in FluxOS with the recipe applied; its one registry dependency (mongodb) is dropped. */
  async function recipeAppliedTree(): Promise<string> {
    const dir = path.join(temp.dir, 'flux');
    await fs.cp(STANDIN_TREE, dir, { recursive: true });
    await applyRecipe('fluxos', dir);
    const file = path.join(dir, 'package.json');
    const pkg = JSON.parse(await fs.readFile(file, 'utf8'));
    delete pkg.dependencies.mongodb;
    await fs.writeFile(file, `${JSON.stringify(pkg, null, 2)}\n`);
    return dir;
  }

  it("FluxOS's own npm install exits 0 and FluxOS starts without the package: one line, no fields", async function () {
    const mongoUrl = (await requireMongo(this)).url;
    const dir = await recipeAppliedTree();

    const env = {
      ...bedEnv(),
      npm_config_registry: registry.url,
      npm_config_cache: path.join(temp.dir, 'npm-cache'),
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
    };
    const install = await run('npm', ['install', '--omit=dev', '--legacy-peer-deps'], { cwd: dir, env });
    expect(install.code, install.stderr).to.equal(0);
    expect(registry.asked.some((url) => url.includes('@runonflux/fluxos-preprod'))).to.equal(true);
    const pkg = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8'));
    expect(pkg.optionalDependencies?.['fluxos-preprod']).to.match(/^npm:@runonflux\/fluxos-preprod@\d/);
    expect(pkg.dependencies).to.not.have.property('fluxos-preprod');
    const installed = await fs.stat(path.join(dir, 'node_modules/fluxos-preprod')).catch(() => null);
    expect(installed, 'node_modules/fluxos-preprod').to.equal(null);

    // mongodb is the test suite's copy (the stand-in's dbHelper needs it); fluxos-preprod is not in there.
    const port = await freePort();
    await writeUserconfig(dir, port);
    const config = {
      server: { allowedPorts: [port] },
      database: { port: Number(new URL(mongoUrl).port), local: { database: uniqueDbName('reg404') } },
    };
    fluxos = startFluxos(dir, config, { NODE_PATH: path.join(REPO_ROOT, 'node_modules') });
    await fluxos.waitFor(/Flux functions started/);
    const mentions = fluxos
      .output()
      .split('\n')
      .filter((line) => /preprod/i.test(line));
    expect(mentions, fluxos.output()).to.have.length(1);
    expect(mentions[0]).to.match(/^warn .*fluxos-preprod could not be loaded, this node stays on its branch/);
    const info = await getJson(port, '/flux/info');
    expect(info.status).to.equal('success');
    expect(info.data.flux).to.include({ version: '8.17.0' });
    expect(info.data.flux).to.not.have.any.keys('preProdNode', 'preProd');
  });
});
