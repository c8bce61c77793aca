/**
 * The FluxOS integration recipe in examples/fluxos, run against a stand-in
 * FluxOS (its config, logger, userconfig and db helper) so the recipe cannot
 * rot: the snippets are executed as written, with their require()s pointed at
 * the example module.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { createGitBed, type GitBed } from '../support/gitBed';
import { requireMongo, uniqueDbName } from '../support/mongoServer';

const exampleDir = path.resolve(__dirname, '../../../examples/fluxos');

function freshExample(): { runPreprodAtBoot: Function; preprodInfo: () => any; markPreprodHealthy: () => Promise<boolean> } {
  const file = require.resolve(path.join(exampleDir, 'preprodBoot.js'));
  delete require.cache[file];
  return require(file);
}

/** Runs a snippet file as FluxOS would, with these bindings in scope. */
async function runSnippet(name: string, bindings: Record<string, unknown>, example: unknown): Promise<void> {
  const code = readFileSync(path.join(exampleDir, name), 'utf8');
  const fakeRequire = (id: string) => {
    if (id === './services/preprodBoot' || id === './preprodBoot') return example;
    throw new Error(`the snippet requires ${id}, which the stand-in does not provide`);
  };
  const names = ['require', ...Object.keys(bindings)];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const fn = new Function(...names, `return (async () => {\n${code}\n})();`);
  await fn(fakeRequire, ...Object.values(bindings));
}

describe('FluxOS integration recipe (examples/fluxos)', function () {
  let bed: GitBed;
  let client: MongoClient;
  let url: string;

  before(async function () {
    url = (await requireMongo(this)).url;
    client = await new MongoClient(url).connect();
    bed = await createGitBed();
  });
  after(async function () {
    await client?.close();
    await bed?.cleanup();
  });

  function standIn(dbName: string, connected: boolean) {
    const lines: string[] = [];
    const log = {
      error: (m: unknown) => lines.push(`error ${m}`),
      warn: (m: unknown) => lines.push(`warn ${m}`),
      info: (m: unknown) => lines.push(`info ${m}`),
      debug: (m: unknown) => lines.push(`debug ${m}`),
    };
    const [host, port] = url.replace('mongodb://', '').split(':');
    const config = {
      database: { url: host, port: Number(port), local: { database: dbName } },
      preProd: { probability: 1, remote: bed.upstream, branch: 'preprod', daysToNextEval: 30, restart: 'none' },
    };
    const dbHelper = { databaseConnection: () => (connected ? client : null) };
    const userconfig = { initial: { ipaddress: '127.0.0.1', zelid: 'x', development: false } };
    return { lines, log, config, dbHelper, userconfig };
  }

  for (const connected of [true, false]) {
    it(`boots a node and fills /flux/info (${connected ? "FluxOS's MongoDB client" : 'no client yet: its own connection'})`, async function () {
      const dir = await bed.cloneNode();
      const dbName = uniqueDbName('example');
      const host = standIn(dbName, connected);
      const example = freshExample();
      expect(example.preprodInfo().preProdNode).to.equal(false);

      const decision = await example.runPreprodAtBoot({ ...host, repoDir: dir });
      expect(decision).to.include({ mode: 'preprod', reason: 'selected' });
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
      expect(host.lines.some((l) => /^info \[preprod\] preprod: selected/.test(l))).to.equal(true);

      // The record is in FluxOS's database, collection state.
      const stored = await client.db(dbName).collection('state').findOne({ key: 'isPreProd' });
      expect(stored).to.include({ value: true });

      // fluxService's getFluxInfo() as the snippet changes it.
      const info = { flux: { version: '1.1.0', ip: '127.0.0.1', staticIp: false } as Record<string, unknown> };
      await runSnippet('fluxService.snippet.js', { info }, example);
      expect(info.flux.preProdNode).to.equal(true);
      expect(info.flux.preProd).to.include({ mode: 'preprod', reason: 'selected', branch: 'preprod' });
      expect(info.flux.version).to.equal('1.1.0');
      expect(JSON.stringify(info)).to.not.include(dir);

      // This boot switched (it ran master's code): healthy changes nothing until a boot runs preprod's.
      expect(await example.markPreprodHealthy()).to.equal(false);
      await client.db(dbName).dropDatabase();
    });
  }

  it('runs the apiServer snippet as written: awaited, logged, never throwing', async function () {
    const dir = await bed.cloneNode();
    const host = standIn(uniqueDbName('snippet'), true);
    const example = freshExample();
    // The snippet resolves repoDir itself in FluxOS; the stand-in's preprodBoot.js lives elsewhere, so bind it.
    const bound = { ...example, runPreprodAtBoot: (deps: object) => example.runPreprodAtBoot({ ...deps, repoDir: dir }) };
    const globalThisStandIn = { userconfig: host.userconfig };
    await runSnippet('apiServer.snippet.js', { config: host.config, log: host.log, dbHelper: host.dbHelper, globalThis: globalThisStandIn }, bound);
    expect(host.lines.some((l) => l === 'info preprod: preprod (selected)')).to.equal(true);
  });

  it('survives an unreachable MongoDB: the node stays where it is, store-unavailable', async function () {
    const dir = await bed.cloneNode();
    const host = standIn(uniqueDbName('down'), false);
    host.config.database.port = 1;
    const example = freshExample();
    const decision = await example.runPreprodAtBoot({ ...host, repoDir: dir });
    expect(decision).to.include({ mode: 'production', reason: 'store-unavailable' });
    expect(example.preprodInfo().preProd.reason).to.equal('store-unavailable');
  });
});
