import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { seededRandom } from '../../src/cohort/random';
import type { NodeResult } from '../../src/fleet/scan';
import { FileHistory } from '../../src/gate/history/fileHistory';
import { openHistory, type HistoryStore, type HistoryTail } from '../../src/gate/history/history';
import { encodeLine } from '../../src/gate/history/historyCodec';
import { MongoHistory, PART_SIZE } from '../../src/gate/history/mongoHistory';
import { observe } from '../../src/gate/history/observation';
import { buildScan } from '../../src/gate/history/scanRecord';
import { describeRun, errorLines, runCli, STACK_LINE } from '../support/cli';
import { startFakeFleet, type FakeFleet } from '../support/fakeFleet';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';

const hour = (h: number) => new Date(Date.UTC(2026, 0, 1, h)).toISOString();

function fleetResults(count: number, version: string): NodeResult[] {
  return Array.from({ length: count }, (_, i) => ({
    host: `10.1.${i >> 8}.${i & 255}`,
    port: 16127,
    kind: 'production',
    ms: 1,
    version,
  }));
}

function appendHour(history: HistoryStore, results: NodeResult[]) {
  return history.append((tail) => buildScan(tail.table, results.map(observe), hour(tail.seq + 1), tail.seq + 1));
}

describe('gate history: file store', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir('gate-history-');
  });
  afterEach(() => tmp.remove());

  it('appends scans and reads them back; a new history file is private to its owner', async () => {
    const file = path.join(tmp.dir, 'sub', 'h.log');
    const history = new FileHistory(file);
    await appendHour(history, fleetResults(3, '1.0'));
    await appendHour(history, fleetResults(3, '1.1'));
    const scans = await new FileHistory(file).read();
    expect(scans.map((s) => [s.seq, s.changes.length])).to.deep.equal([
      [1, 3],
      [2, 3],
    ]);
    expect((await fs.stat(file)).mode & 0o777).to.equal(0o600);
  });

  it('reads a missing file as an empty history', async () => {
    expect(await new FileHistory(path.join(tmp.dir, 'none.log')).read()).to.deep.equal([]);
  });

  it('a torn last line is ignored by readers and cut off by the next writer', async () => {
    const file = path.join(tmp.dir, 'h.log');
    await appendHour(new FileHistory(file), fleetResults(2, '1.0'));
    const good = await fs.readFile(file);
    await fs.appendFile(file, '{"seq":2,"at":"2026-01-01T01:00:00.000Z","tot');
    expect((await new FileHistory(file).read()).map((s) => s.seq)).to.deep.equal([1]);
    await appendHour(new FileHistory(file), fleetResults(2, '1.1'));
    const after = await fs.readFile(file);
    expect(after.subarray(0, good.length).equals(good)).to.equal(true);
    expect((await new FileHistory(file).read()).map((s) => s.seq)).to.deep.equal([1, 2]);
  });

  it('never writes over a file that is not a history', async () => {
    const file = path.join(tmp.dir, 'notes.txt');
    await fs.writeFile(file, 'my notes');
    const error = await appendHour(new FileHistory(file), fleetResults(1, '1.0')).catch((e: Error) => e);
    expect(String(error)).to.match(/not a fluxos-preprod history file/);
    expect(await fs.readFile(file, 'utf8')).to.equal('my notes');
  });

  it('refuses a scan that does not follow the latest one (number or time)', async () => {
    const file = path.join(tmp.dir, 'h.log');
    const history = new FileHistory(file);
    await appendHour(history, fleetResults(1, '1.0'));
    const sameTime = await history.append((tail) => buildScan(tail.table, [], hour(1), 2)).catch((e: Error) => e);
    expect(String(sameTime)).to.match(
      /scan 2 at 2026-01-01T01:00:00.000Z: it does not follow scan 1 at 2026-01-01T01:00:00.000Z/,
    );
    const skipped = await history.append((tail) => buildScan(tail.table, [], hour(5), 3)).catch((e: Error) => e);
    expect(String(skipped)).to.match(/scan 3 .* does not follow scan 1/);
    expect((await new FileHistory(file).read()).length).to.equal(1);
  });

  it('two writers at once both land, one after the other', async () => {
    const file = path.join(tmp.dir, 'h.log');
    await Promise.all([
      appendHour(new FileHistory(file), fleetResults(50, 'a')),
      appendHour(new FileHistory(file), fleetResults(50, 'b')),
    ]);
    expect((await new FileHistory(file).read()).map((s) => s.seq)).to.deep.equal([1, 2]);
  });

  it('a writer killed (SIGKILL) at random points never corrupts the scans before it', async function () {
    this.timeout(120_000);
    const file = path.join(tmp.dir, 'h.log');
    const child = path.join(__dirname, 'gateAppendChild.js');
    const random = seededRandom(13);
    let torn = 0;
    for (let round = 0; round < 6; round += 1) {
      const before = (await new FileHistory(file).read()).length;
      const proc = spawn(process.execPath, [child, file, '5000', 'slow'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 50 + random() * 400));
      proc.kill('SIGKILL');
      await new Promise((resolve) => proc.once('exit', resolve));
      const text = await fs.readFile(file);
      if (text[text.length - 1] !== 0x0a) torn += 1;
      const scans = await new FileHistory(file).read();
      expect(scans.length).to.be.greaterThan(before);
      expect(scans.map((s) => s.seq)).to.deep.equal(scans.map((_, i) => i + 1));
    }
    // The next writer (taking over the dead one's lock) carries on from the last complete scan.
    const last = (await new FileHistory(file).read()).length;
    await appendHour(new FileHistory(file), fleetResults(5, 'after'));
    expect((await new FileHistory(file).read()).length).to.equal(last + 1);
    // The child writes slowly after its first scan, so most kills land inside a write.
    expect(torn).to.be.greaterThan(0);
  });
});

describe('gate history: MongoDB store', () => {
  let url: string;
  let dbName: string;
  before(async function () {
    url = (await requireMongo(this)).url;
  });
  beforeEach(() => {
    dbName = uniqueDbName('history');
  });
  afterEach(async () => {
    const client = await MongoClient.connect(url);
    await client
      .db(dbName)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  });

  it('appends scans larger than one document part and reads them back', async function () {
    this.timeout(60_000);
    const history = await openHistory(`${url}/${dbName}`);
    try {
      await appendHour(history, fleetResults(PART_SIZE + 7, '1.0'));
      await appendHour(history, fleetResults(3, '1.1'));
    } finally {
      await history.close();
    }
    const reader = await MongoHistory.connect(`${url}/${dbName}`);
    try {
      const scans = await reader.read();
      expect(scans.map((s) => [s.seq, s.changes.length])).to.deep.equal([
        [1, PART_SIZE + 7],
        [2, PART_SIZE + 7],
      ]);
      expect(scans[0].changes[PART_SIZE + 6].n).to.equal(`10.1.${(PART_SIZE + 6) >> 8}.${(PART_SIZE + 6) & 255}:16127`);
    } finally {
      await reader.close();
    }
  });

  it('ignores parts that a killed writer left without their scan, and the next writer overwrites them', async () => {
    const client = await MongoClient.connect(url);
    try {
      await client
        .db(dbName)
        .collection('fleet_scan_changes')
        .insertOne({ _id: '1:0' as never, seq: 1, part: 0, changes: [{ n: 'ghost:1', a: 1 }] });
      const history = await openHistory(`${url}/${dbName}`);
      try {
        expect(await history.read()).to.deep.equal([]);
        await appendHour(history, fleetResults(2, '1.0'));
        expect((await history.read())[0].changes.map((c) => c.n)).to.not.include('ghost:1');
      } finally {
        await history.close();
      }
    } finally {
      await client.close();
    }
  });

  it('a second writer of the same scan number fails instead of landing twice', async () => {
    const [one, two] = await Promise.all([openHistory(`${url}/${dbName}`), openHistory(`${url}/${dbName}`)]);
    try {
      await one.read();
      await two.read();
      const build = (tail: HistoryTail) => buildScan(tail.table, [], hour(tail.seq + 1), tail.seq + 1);
      const results = await Promise.allSettled([one.append(build), two.append(build)]);
      const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(failed).to.have.length(1);
      expect(String(failed[0].reason)).to.match(/Another recorder stored the same scan number/);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

describe('fleet --record (CLI)', () => {
  let fleet: FakeFleet;
  let tmp: ReturnType<typeof makeTempDir>;
  before(async () => {
    fleet = await startFakeFleet(['preprod', 'production', 'production', 'refused']);
  });
  after(async () => fleet.close());
  beforeEach(() => {
    tmp = makeTempDir('gate-record-');
  });
  afterEach(() => tmp.remove());
  const targets = () => fleet.targets.map((t) => `${t.host}:${t.port}`);

  it('records scans stamped with --at; an --at not later than the latest exits 2 before scanning', async () => {
    const store = `file:${path.join(tmp.dir, 'h.log')}`;
    const first = await runCli(['fleet', ...targets(), '--record', store, '--at', '2026-01-01T00:00:00Z', '--json']);
    expect(first.code, describeRun(first)).to.equal(0);
    expect(JSON.parse(first.stdout).answered).to.equal(3);
    expect(first.stderr).to.match(/recorded scan 1 at 2026-01-01T00:00:00.000Z \(4 node changes\)/);
    const second = await runCli(['fleet', ...targets(), '--record', store, '--at', '2026-01-01T01:00:00+00:00']);
    expect(second.code, describeRun(second)).to.equal(0);
    expect(second.stderr).to.match(/recorded scan 2 .*\(0 node changes\)/);
    for (const at of ['2026-01-01T01:00:00Z', '2025-12-31T00:00:00Z']) {
      const stale = await runCli(['fleet', ...targets(), '--record', store, '--at', at, '--json']);
      expect(stale.code, describeRun(stale)).to.equal(2);
      expect(stale.stdout).to.equal('');
      const sentence = 'Expected `--at` to be later than the latest recorded scan (2026-01-01T01:00:00.000Z)';
      expect(errorLines(stale.stderr)).to.deep.equal([
        `fluxos-preprod: ${sentence}, got ${new Date(at).toISOString()}.`,
      ]);
    }
    expect((await new FileHistory(path.join(tmp.dir, 'h.log')).read()).length).to.equal(2);
  });

  it('prints the report and exits 1 when the scan cannot be stored', async () => {
    const dir = path.join(tmp.dir, 'a-directory');
    await fs.mkdir(dir);
    const run = await runCli(['fleet', ...targets(), '--record', `file:${dir}`, '--json']);
    expect(run.code, describeRun(run)).to.equal(1);
    expect(JSON.parse(run.stdout).asked).to.equal(4);
    expect(run.stderr).to.match(/The scan was not recorded: Cannot (open|read) the history file .*a-directory/);
    expect(run.stderr).to.not.match(STACK_LINE);
  });

  const usage: { name: string; args: string[]; sentence: RegExp }[] = [
    {
      name: '--at without --record',
      args: ['--at', '2026-01-01T00:00:00Z'],
      sentence: /Give `--at` only with `--record STORE`/,
    },
    {
      name: 'an --at without a zone',
      args: ['--record', 'file:x', '--at', '2026-01-01T00:00:00'],
      sentence: /Expected `--at` to be an ISO-8601 time/,
    },
    {
      name: 'an --at that is no date',
      args: ['--record', 'file:x', '--at', '2026-02-31T00:00:00Z'],
      sentence: /Expected `--at` to be an ISO-8601/,
    },
    {
      name: 'a store that is neither',
      args: ['--record', 'postgres://x'],
      sentence: /Expected `--record` to be file:PATH or mongodb:/,
    },
  ];
  for (const c of usage) {
    it(`exits 2 for ${c.name}`, async () => {
      const run = await runCli(['fleet', ...targets(), ...c.args], { cwd: tmp.dir });
      expect(run.code, describeRun(run)).to.equal(2);
      expect(errorLines(run.stderr)).to.have.length(1);
      expect(run.stderr).to.match(c.sentence);
    });
  }

  it('refuses (exit 1) a history of a format version it does not know, and leaves it as it was', async () => {
    const file = path.join(tmp.dir, 'h.log');
    await fs.writeFile(file, encodeLine({ format: 'fluxos-preprod-history', version: 2 }));
    const run = await runCli(['fleet', ...targets(), '--record', `file:${file}`]);
    expect(run.code, describeRun(run)).to.equal(1);
    expect(run.stderr).to.match(/not recorded: .*format version 2 is not supported/);
  });
});
