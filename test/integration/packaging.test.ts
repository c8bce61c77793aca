/**
 * The package as FluxOS gets it (docs/design.md §9): the `npm pack` tarball, installed with
 * `--omit=dev --legacy-peer-deps` into a FluxOS-shaped tree (the stand-in, recipe applied) that has its
 * own `mongodb` 6.18, with no TypeScript build on install. It loads with a plain require(), uses FluxOS's
 * driver (no second copy), its bin runs, and a TypeScript consumer type-checks against its declarations.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { applyRecipe, npmInstall, packPackage, REPO_ROOT, run, STANDIN_TREE, type Run } from '../support/fluxosStandIn';
import { runGit } from '../support/gitBed';
import { makeTempDir } from '../support/tmp';

describe('the packed tarball installed into a FluxOS tree', function () {
  this.timeout(300_000);
  let temp: { dir: string; remove: () => void };
  let flux: string;
  let install: Run;

  const node = (script: string, env: NodeJS.ProcessEnv = {}): Promise<Run> =>
    run(process.execPath, ['-e', script], { cwd: flux, env: { ...process.env, ...env } });

  before(async function () {
    temp = makeTempDir('fluxos-preprod-pack-');
    const tarball = await packPackage(temp.dir);
    flux = path.join(temp.dir, 'flux');
    await fs.cp(STANDIN_TREE, flux, { recursive: true });
    await runGit(flux, ['init', '-q', '-b', 'master']);
    await applyRecipe('fluxos', flux);
    await runGit(flux, ['add', '-A']);
    await runGit(flux, ['commit', '-q', '-m', 'FluxOS with the recipe']);
    install = await npmInstall(flux, tarball);
  });
  after(function () {
    temp?.remove();
  });

  it('builds in prepack, not in a prepare script that consumers would run', async function () {
    const ours = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(ours.scripts.prepack).to.match(/npm run build/);
    const shipped = JSON.parse(await fs.readFile(path.join(flux, 'node_modules/fluxos-preprod/package.json'), 'utf8'));
    for (const hook of ['prepare', 'preinstall', 'install', 'postinstall']) {
      expect(shipped.scripts ?? {}, `the shipped package.json runs no ${hook}`).to.not.have.property(hook);
    }
    expect(`${install.stdout}${install.stderr}`).to.not.match(/tsc|prepare/);
  });

  it('ships built JavaScript and declarations, no TypeScript sources, no dev dependency', async function () {
    const pkg = path.join(flux, 'node_modules/fluxos-preprod');
    expect(await exists(path.join(pkg, 'build/src/index.js'))).to.equal(true);
    expect(await exists(path.join(pkg, 'build/src/index.d.ts'))).to.equal(true);
    expect(await exists(path.join(pkg, 'build/src/cli.js'))).to.equal(true);
    expect(await exists(path.join(pkg, 'src'))).to.equal(false);
    expect(await exists(path.join(pkg, 'build/test'))).to.equal(false);
    for (const dev of ['typescript', 'mocha', 'chai', 'sinon', 'nodemon']) {
      expect(await exists(path.join(flux, 'node_modules', dev)), `${dev} is a dev dependency`).to.equal(false);
    }
  });

  it("loads with require() and uses FluxOS's own mongodb 6.18, not a copy of its own", async function () {
    const loaded = await node(`
      const preprod = require('fluxos-preprod');
      const { createRequire } = require('node:module');
      const fromPackage = createRequire(require.resolve('fluxos-preprod')).resolve('mongodb');
      console.log(JSON.stringify({
        createPreprodService: typeof preprod.createPreprodService,
        exports: Object.keys(preprod).sort(),
        preProdNode: preprod.createPreprodService({ repoDir: '/srv/zelflux' }).fluxInfo().preProdNode,
        mongodbOfPackage: fromPackage,
        mongodbOfFluxos: require.resolve('mongodb'),
        mongodbVersion: require('mongodb/package.json').version,
        loaded: Object.keys(require.cache),
      }));`);
    expect(loaded.code, loaded.stderr).to.equal(0);
    const seen = JSON.parse(loaded.stdout);
    expect(seen).to.include({ createPreprodService: 'function', preProdNode: false });
    // The values of the public API (api/fluxos-preprod.api.d.ts); the rest of it is types.
    expect(seen.exports).to.deep.equal(['FileStateStore', 'MongoStateStore', 'createPreprodService', 'openStore']);
    expect(seen.mongodbOfPackage).to.equal(seen.mongodbOfFluxos);
    expect(seen.mongodbOfFluxos.startsWith(path.join(flux, 'node_modules', 'mongodb'))).to.equal(true);
    expect(seen.mongodbVersion).to.match(/^6\.18\./);
    // The in-process boot path loads only what it needs: no fleet, gate or CLI code, no CLI libraries.
    const unneeded = /fluxos-preprod\/build\/src\/(fleet|gate|cli)\/|node_modules\/(winston|commander|cli-progress)\//;
    expect((seen.loaded as string[]).filter((file) => unneeded.test(file))).to.deep.equal([]);
  });

  it("keeps its state through FluxOS's MongoDB client (the real MongoDB-protocol server)", async function () {
    const { url } = await requireMongo(this);
    const dbName = uniqueDbName('pack');
    const stored = await node(
      `
      const { MongoClient } = require('mongodb');
      const { MongoStateStore } = require('fluxos-preprod');
      (async () => {
        const client = await MongoClient.connect(process.env.MONGO_URL);
        const store = new MongoStateStore(client.db(process.env.DB_NAME));
        await store.set('isPreProd', { key: 'isPreProd', value: true, draw: 0.01 });
        const back = await store.get('isPreProd');
        await client.db(process.env.DB_NAME).dropDatabase();
        await client.close();
        console.log(JSON.stringify(back));
      })().catch((error) => { console.error(error); process.exit(1); });`,
      { MONGO_URL: url, DB_NAME: dbName },
    );
    expect(stored.code, stored.stderr).to.equal(0);
    expect(JSON.parse(stored.stdout)).to.include({ key: 'isPreProd', value: true, draw: 0.01 });
  });

  it('runs its bin from node_modules/.bin', async function () {
    const bin = path.join(flux, 'node_modules/.bin/fluxos-preprod');
    const version = await run(bin, ['--version'], { cwd: flux });
    expect(version.code, version.stderr).to.equal(0);
    const ours = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(version.stdout.trim()).to.equal(ours.version);
    const help = await run(bin, ['tracked-version', '--help'], { cwd: flux });
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.include('tracked-version');
  });

  it('type-checks a TypeScript consumer against the shipped declarations, and rejects a wrong one', async function () {
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = [
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--module',
      'commonjs',
      '--moduleResolution',
      'node',
      '--target',
      'ES2022',
      '--types',
      'node',
      '--typeRoots',
      path.join(REPO_ROOT, 'node_modules/@types'),
    ];
    const good = path.join(flux, 'good.ts');
    await fs.writeFile(
      good,
      `import { createPreprodService, type BootResult, type FluxInfoFields, type ReasonCode } from 'fluxos-preprod';
const service = createPreprodService({ repoDir: '/srv/zelflux', logger: console });
const result: Promise<BootResult> = service.runAtBoot();
const info: FluxInfoFields = service.fluxInfo();
const reason: ReasonCode = 'crash-loop';
export { result, info, reason };
`,
    );
    const checked = await run(process.execPath, [tsc, ...flags, good], { cwd: flux });
    expect(checked.code, checked.stdout).to.equal(0);

    const bad = path.join(flux, 'bad.ts');
    await fs.writeFile(
      bad,
      `import { createPreprodService } from 'fluxos-preprod';
const n: number = createPreprodService({ repoDir: '/srv/zelflux' }).fluxInfo().preProdNode;
export { n };
`,
    );
    const rejected = await run(process.execPath, [tsc, ...flags, bad], { cwd: flux });
    expect(rejected.stdout).to.match(/bad\.ts\(2,\d+\): error TS2322/);
  });
});

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
