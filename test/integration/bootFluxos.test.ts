/**
 * The boot as FluxOS calls it (docs/design.md §5): FluxOS's own MongoDB
 * connection waited for a bounded time, and no mixed code: after a switch
 * under `exit`, the code after FluxOS's awaited call never runs before the
 * restart (the install, when dependencies changed, runs first).
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { loggedService } from '../support/bootBed';
import { describeRun, startProcess } from '../support/cli';
import { createGitBed, type GitBed } from '../support/gitBed';
import { requireMongo, uniqueDbName } from '../support/mongoServer';

const INDEX = path.resolve(__dirname, '../../src/index.js');

/** A FluxOS stand-in's apiServer.initiate(): the boot step, then the rest of its start-up. */
const INITIATE = `'use strict';
const [index, repoDir, storeFile, remote, installed] = process.argv.slice(2);
const { createPreprodService, FileStateStore } = require(index);
const say = (level) => (message) => console.log(level + ' ' + message);
const preprod = createPreprodService({
  repoDir,
  store: new FileStateStore(storeFile),
  settings: {
    preProd: {
      remote,
      probability: 1,
      restart: 'exit',
      installCommand: [process.execPath, '-e', 'require("fs").writeFileSync(' + JSON.stringify(installed) + ', "x")'],
    },
  },
  logger: { error: say('error'), warn: say('warn'), info: say('info'), debug: () => undefined },
  armHealthyTimer: false,
  backgroundChecks: false,
});
(async () => {
  const result = await preprod.runAtBoot();
  console.log('CONTINUED ' + result.reason); // FluxOS goes on starting here
})();
`;

describe('the boot as FluxOS calls it', function () {
  let bed: GitBed;
  before(async function () {
    bed = await createGitBed({ packageJson: { preprod: { dependencies: { 'left-pad': '1.3.0' } } } });
  });
  after(async () => bed?.cleanup());

  it("a switch under exit: FluxOS's boot does not continue; install, then exit", async function () {
    const dir = await bed.cloneNode();
    const script = path.join(bed.dir, 'initiate.js');
    await fs.writeFile(script, INITIATE);
    const installed = path.join(bed.dir, 'installed.txt');
    const run = await startProcess(
      process.execPath,
      [script, INDEX, dir, path.join(bed.dir, 'state.json'), bed.upstream, installed],
      { timeoutMs: 60_000 },
    ).exited;
    expect(run.code, describeRun(run)).to.equal(1);
    expect(run.stdout, describeRun(run)).not.to.include('CONTINUED');
    expect(run.stdout, describeRun(run)).to.include('restart pending');
    expect(await fs.readFile(installed, 'utf8'), 'the install ran before the exit').to.equal('x');
    expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
  });

  it("waits for FluxOS's own MongoDB connection, up to storeWaitMs, and uses it", async function () {
    const server = await requireMongo(this);
    const client = new MongoClient(server.url);
    const dbName = uniqueDbName('storewait');
    try {
      const dir = await bed.cloneNode();
      let db: Db | null = null;
      // FluxOS connects on its own schedule; the boot only ever sees this getter.
      const connecting = client.connect().then(() => {
        db = client.db(dbName);
      });
      const { svc } = loggedService(
        dir,
        undefined,
        { remote: bed.upstream, probability: 1, storeWaitMs: 10_000 },
        { db: () => db },
      );
      const result = await svc.runAtBoot();
      await connecting;
      expect(result).to.include({ reason: 'selected', mode: 'preprod' });
      expect(await client.db(dbName).collection('state').countDocuments({})).to.be.above(0);
    } finally {
      await client
        .db(dbName)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
    }
  });

  it('no connection within storeWaitMs: goes on storeless (the kill switch still acts)', async function () {
    const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
    const waiting = loggedService(
      dir,
      undefined,
      { remote: bed.upstream, probability: 0.5, storeWaitMs: 200 },
      { db: () => null },
    );
    const left = await waiting.svc.runAtBoot();
    expect(left).to.include({ reason: 'store-unavailable', mode: 'preprod' });
    expect(left.message).to.include('within 200 ms');
    const killed = await loggedService(
      dir,
      undefined,
      { remote: bed.upstream, probability: 0, storeWaitMs: 200 },
      { db: () => null },
    ).svc.runAtBoot();
    expect(killed).to.include({ reason: 'not-selected', mode: 'production' });
  });
});
