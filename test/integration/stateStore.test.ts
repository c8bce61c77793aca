import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as sinon from 'sinon';
import { MongoClient } from 'mongodb';
import { isPreprodError, PreprodError } from '../../src/errors';
import { FileStateStore, MongoStateStore, openStore, type StateStore } from '../../src/state';
import { getMongoServer, requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';

interface Harness {
  open(): Promise<StateStore>;
  /** How many records the backend holds for key, read behind the store's back. */
  countRecords(key: string): Promise<number>;
  cleanup(): Promise<void>;
}

/** One contract, run against every StateStore implementation. */
function contract(name: string, makeHarness: (context: Mocha.Context) => Promise<Harness>): void {
  describe(`StateStore contract: ${name}`, function () {
    let harness: Harness;
    let store: StateStore;

    before(async function () {
      harness = await makeHarness(this);
    });
    beforeEach(async function () {
      store = await harness.open();
    });
    afterEach(async function () {
      await store?.close();
    });
    after(async function () {
      await harness?.cleanup();
    });

    it('reads an absent key as null', async function () {
      expect(await store.get('nothing-here')).to.equal(null);
    });

    it('round-trips a value with Date fields, keeping their types', async function () {
      const rolledAt = new Date('2026-11-02T10:20:30.456Z');
      await store.set('isPreProd', {
        value: true,
        draw: 0.0312,
        rolledAt,
        probability: 0.07,
        updatedAt: new Date(rolledAt.getTime() + 1),
        note: 'not a date: 2026-11-02',
        nested: { at: rolledAt, list: [1, 'two', false] },
      });
      const read = await store.get('isPreProd');
      expect(read).to.not.equal(null);
      expect(read!.key).to.equal('isPreProd');
      expect(read!.value).to.equal(true);
      expect(read!.draw).to.equal(0.0312);
      expect(read!.rolledAt).to.be.instanceOf(Date);
      expect((read!.rolledAt as Date).getTime()).to.equal(rolledAt.getTime());
      expect(read!.note).to.equal('not a date: 2026-11-02');
      const nested = read!.nested as { at: Date; list: unknown[] };
      expect(nested.at).to.be.instanceOf(Date);
      expect(nested.at.getTime()).to.equal(rolledAt.getTime());
      expect(nested.list).to.deep.equal([1, 'two', false]);
    });

    it('keeps exactly one record per key when overwriting', async function () {
      await store.set('ip', { value: '10.0.0.1' });
      await store.set('ip', { value: '10.0.0.2' });
      await store.set('other', { value: 1 });
      expect(await harness.countRecords('ip')).to.equal(1);
      expect((await store.get('ip'))!.value).to.equal('10.0.0.2');
      expect((await store.get('other'))!.value).to.equal(1);
    });

    it('deletes a key, and deleting an absent key is fine', async function () {
      await store.set('gone', { value: 1 });
      await store.delete('gone');
      await store.delete('never-was');
      expect(await store.get('gone')).to.equal(null);
      expect(await harness.countRecords('gone')).to.equal(0);
    });

    it('leaves one record holding one of the written values after 20 concurrent writes of one key', async function () {
      const stores = await Promise.all(Array.from({ length: 20 }, () => harness.open()));
      try {
        await Promise.all(stores.map((s, i) => s.set('race', { value: i, at: new Date() })));
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
      expect(await harness.countRecords('race')).to.equal(1);
      const read = await store.get('race');
      expect(read!.value).to.be.a('number').within(0, 19);
    });
  });
}

contract('file', async () => {
  const { dir, remove } = makeTempDir();
  const file = path.join(dir, 'state.json');
  return {
    open: async () => new FileStateStore(file),
    countRecords: async (key) => {
      const text = await fs.readFile(file, 'utf8').catch(() => '{}');
      return Object.keys(JSON.parse(text)).filter((k) => k === key).length;
    },
    cleanup: async () => remove(),
  };
});

contract('mongodb', async (context) => {
  const server = await requireMongo(context);
  const dbName = uniqueDbName('contract');
  const client = await new MongoClient(server.url).connect();
  return {
    open: async () => MongoStateStore.connect(server.url, { dbName }),
    countRecords: (key) => client.db(dbName).collection('state').countDocuments({ key }),
    cleanup: async () => {
      await client
        .db(dbName)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
    },
  };
});

describe('MongoStateStore specifics', function () {
  let url: string;
  let client: MongoClient;
  let dbName: string;

  before(async function () {
    url = (await requireMongo(this)).url;
    client = await new MongoClient(url).connect();
  });
  beforeEach(function () {
    dbName = uniqueDbName('mongo');
  });
  after(async function () {
    await client?.close();
  });

  it('creates the unique index on key before the first write, and a read creates nothing', async function () {
    const store = await MongoStateStore.connect(url, { dbName });
    try {
      expect(await store.get('anything')).to.equal(null);
      const collections = await client.db(dbName).listCollections().toArray();
      expect(collections.map((c) => c.name)).to.not.include('state');
      await store.set('anything', { value: 1 });
      const indexes = await client.db(dbName).collection('state').listIndexes().toArray();
      const keyIndex = indexes.find((index) => index.key && index.key.key === 1);
      expect(keyIndex, JSON.stringify(indexes)).to.not.equal(undefined);
      expect(keyIndex!.unique).to.equal(true);
    } finally {
      await store.close();
    }
  });

  it('retries an upsert that lost a race on the unique index instead of surfacing 11000', async function () {
    const db = client.db(dbName);
    const store = new MongoStateStore(db);
    const collection = db.collection('state');
    // Every store built on this Db shares Collection objects per call, so stub the prototype.
    const proto = Object.getPrototypeOf(collection) as { replaceOne: (...args: unknown[]) => Promise<unknown> };
    const original = proto.replaceOne;
    let calls = 0;
    sinon.stub(proto, 'replaceOne').callsFake(function (this: unknown, ...args: unknown[]) {
      calls += 1;
      if (calls === 1) return Promise.reject(Object.assign(new Error('E11000 duplicate key error'), { code: 11000 }));
      return original.apply(this, args);
    });
    await store.set('isPreProd', { value: false });
    sinon.restore();
    expect(calls).to.equal(2);
    expect((await store.get('isPreProd'))!.value).to.equal(false);
  });

  it('exposes the ObjectId time of a record written by the seed', async function () {
    const before = Math.floor(Date.now() / 1000) * 1000;
    await client.db(dbName).collection('state').insertOne({ key: 'isPreProd', value: true });
    const store = new MongoStateStore(client.db(dbName));
    const read = await store.get('isPreProd');
    expect(read!.value).to.equal(true);
    expect(read!._idTime).to.be.instanceOf(Date);
    expect((read!._idTime as Date).getTime()).to.be.at.least(before);
    expect(read).to.not.have.property('_id');
  });

  it('reports an unreachable server as store-unavailable in one sentence', async function () {
    const error = await MongoStateStore.connect('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 500 }).catch(
      (e) => e,
    );
    expect(isPreprodError(error, 'store-unavailable')).to.equal(true);
    expect((error as Error).message).to.match(/^Cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1: .*\.$/);
    expect((error as Error).message).to.not.include('\n');
  });
});

describe('FileStateStore specifics', function () {
  let dir: string;
  let remove: () => void;
  let file: string;

  beforeEach(function () {
    ({ dir, remove } = makeTempDir());
    file = path.join(dir, 'state.json');
  });
  afterEach(function () {
    remove();
  });

  it('writes dates as ISO-8601 strings in one JSON object keyed by key', async function () {
    await new FileStateStore(file).set('isPreProd', { value: true, rolledAt: new Date('2026-01-02T03:04:05.006Z') });
    const raw = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(raw).to.deep.equal({ isPreProd: { value: true, rolledAt: '2026-01-02T03:04:05.006Z', key: 'isPreProd' } });
  });

  it('names the file in one sentence and leaves a corrupt file as it was', async function () {
    const corrupt = '{"isPreProd": {"value": tru';
    await fs.writeFile(file, corrupt);
    const store = new FileStateStore(file);
    for (const attempt of [() => store.get('isPreProd'), () => store.set('isPreProd', { value: false })]) {
      const error = await attempt().catch((e) => e);
      expect(isPreprodError(error, 'store-corrupt'), String(error)).to.equal(true);
      const message = (error as PreprodError).message;
      expect(message).to.include(file);
      expect(message).to.include('left as it is');
      expect(message).to.not.include('\n');
      expect(message).to.not.match(/\bat .*\(.*:\d+:\d+\)/);
    }
    expect(await fs.readFile(file, 'utf8')).to.equal(corrupt);
  });

  it('treats a JSON file whose top level is not an object as corrupt', async function () {
    await fs.writeFile(file, '[1,2,3]');
    const error = await new FileStateStore(file).get('x').catch((e) => e);
    expect(isPreprodError(error, 'store-corrupt')).to.equal(true);
  });

  // The child writes a new value and stops right before the rename (or right
  // after it); the parent SIGKILLs it there. Either way the file must parse
  // and hold the old or the new whole value.
  for (const killPoint of ['before-rename', 'after-rename'] as const) {
    it(`leaves the old or the new whole file when killed ${killPoint.replace('-', ' ')}`, async function () {
      const store = new FileStateStore(file);
      await store.set('isPreProd', { value: 'old', padding: 'x'.repeat(200_000) });
      const oldBytes = await fs.readFile(file, 'utf8');
      const script = path.join(dir, 'writer.js');
      const storeModule = path.resolve(__dirname, '../../src/state/fileStateStore.js');
      await fs.writeFile(
        script,
        `const { FileStateStore } = require(${JSON.stringify(storeModule)});
         const mode = process.argv[2];
         const store = new FileStateStore(${JSON.stringify(file)}, {
           beforeRename: mode === 'before-rename'
             ? () => { process.stdout.write('paused\\n'); return new Promise(() => {}); }
             : undefined,
         });
         store.set('isPreProd', { value: 'new', padding: 'y'.repeat(200000) }).then(() => {
           process.stdout.write('paused\\n'); setInterval(() => {}, 1000);
         });`,
      );
      const child = spawn(process.execPath, [script, killPoint], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) =>
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('paused') && resolve()),
      );
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      const after = await fs.readFile(file, 'utf8');
      const value = JSON.parse(after).isPreProd.value;
      if (killPoint === 'before-rename') {
        expect(after).to.equal(oldBytes);
        expect(value).to.equal('old');
      } else {
        expect(value).to.equal('new');
      }
      // A reader clears the dead writer's lock, and it never wedges the next writer.
      if (killPoint === 'before-rename') {
        expect(
          await fs.stat(`${file}.lock`).then(
            () => true,
            () => false,
          ),
        ).to.equal(true);
        await store.get('isPreProd');
        expect(
          await fs.stat(`${file}.lock`).then(
            () => true,
            () => false,
          ),
        ).to.equal(false);
      }
      await store.set('isPreProd', { value: 'next' });
      expect((await store.get('isPreProd'))!.value).to.equal('next');
    });
  }
});

describe('openStore', function () {
  const bad = ['', 'postgres://x', 'file:', 'mongodb://', 'http://127.0.0.1:27017'];
  for (const url of bad) {
    it(`rejects ${JSON.stringify(url)} with a usage sentence`, async function () {
      const error = await openStore(url).catch((e) => e);
      expect(isPreprodError(error, 'usage')).to.equal(true);
      expect((error as Error).message).to.match(
        /^Expected `--store` to be mongodb:\/\/host:port\[\/db\] or file:PATH, got .*\.$/,
      );
    });
  }

  it('opens a file store from file:PATH', async function () {
    const { dir, remove } = makeTempDir();
    try {
      const store = await openStore(`file:${dir}/s.json`);
      expect(store).to.be.instanceOf(FileStateStore);
      expect(store.description).to.equal(`file:${dir}/s.json`);
    } finally {
      remove();
    }
  });

  it('opens a MongoDB store from a mongodb:// URL with its database', async function () {
    const server = await getMongoServer();
    if (!server) return this.skip();
    const store = await openStore(`${server.url}/${uniqueDbName('open')}`);
    try {
      expect(store).to.be.instanceOf(MongoStateStore);
      expect(await store.get('x')).to.equal(null);
    } finally {
      await store.close();
    }
  });
});
