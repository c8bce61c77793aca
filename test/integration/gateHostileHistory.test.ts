/**
 * Issue 17 §1: strings from nodes are data. A node answering a version (or
 * reason) named like a property of Object.prototype must not poison the
 * history: `fleet --record` keeps recording, `gate` keeps reading, for the
 * file and the MongoDB history alike. Real nodes on 127.0.0.1, the real CLI.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { FileHistory } from '../../src/gate/history/fileHistory';
import { encodeLine, headerLine } from '../../src/gate/history/historyCodec';
import { describeRun, runCli } from '../support/cli';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';
import { startReleaseFleet, type NodeInfo, type ReleaseFleet } from './gateFleet';

/** Names that a plain `{}` answers from its prototype, and a few that MongoDB treats specially. */
const HOSTILE = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', '$where', 'a.b', ''];

function node(version: string, mode: 'preprod' | 'production', reason: string): NodeInfo {
  return { version, commit: 'c0ffee0', mode, reason, draw: mode === 'preprod' ? 0.01 : 0.5, probability: 0.07 };
}

const hostileNodes = (): NodeInfo[] => [
  ...HOSTILE.map((v) => node(v, 'preprod', 'selected')),
  node('8.17.0', 'production', 'constructor'),
  node('8.17.0', 'production', '__proto__'),
  node('8.17.0', 'production', 'not-selected'),
];

async function recordTwiceAndJudge(fleet: ReleaseFleet, store: string): Promise<void> {
  for (const at of ['2026-01-01T00:00:00Z', '2026-01-01T01:00:00Z']) {
    const run = await runCli(['fleet', ...fleet.targets, '--record', store, '--at', at, '--json']);
    expect(run.code, describeRun(run)).to.equal(0);
    expect(run.stderr).to.match(/recorded scan/);
  }
  const gate = await runCli(['gate', '--history', store, '--json']);
  expect(gate.code, describeRun(gate)).to.not.equal(4);
  expect(['promote', 'halt', 'wait', 'inconclusive']).to.include(JSON.parse(gate.stdout).verdict);
}

describe('hostile version strings never poison the history', function () {
  this.timeout(120_000);
  let fleet: ReleaseFleet;
  let tmp: ReturnType<typeof makeTempDir>;
  before(async () => {
    fleet = await startReleaseFleet(hostileNodes());
  });
  after(async () => fleet.close());
  beforeEach(() => {
    tmp = makeTempDir('gate-hostile-');
  });
  afterEach(() => tmp.remove());

  it('file history: records and judges, and every version is counted by its own name', async () => {
    const file = path.join(tmp.dir, 'h.log');
    await recordTwiceAndJudge(fleet, `file:${file}`);
    const scans = await new FileHistory(file).read();
    expect(scans).to.have.length(2);
    const versions = scans[0].totals.preprodVersions;
    for (const v of HOSTILE) expect(Object.getOwnPropertyDescriptor(versions, v)?.value, v).to.equal(1);
    // The scanner maps an unknown reason to `other` before the history sees it.
    expect({ ...scans[0].totals.byReason }).to.deep.equal({ selected: HOSTILE.length, other: 2, 'not-selected': 1 });
  });

  it('MongoDB history: records and judges, and every version is counted by its own name', async function () {
    const { url } = await requireMongo(this);
    const dbName = uniqueDbName('hostile');
    try {
      await recordTwiceAndJudge(fleet, `${url}/${dbName}`);
      const { MongoHistory } = await import('../../src/gate/history/mongoHistory');
      const reader = await MongoHistory.connect(`${url}/${dbName}`);
      try {
        const scans = await reader.read();
        expect(scans).to.have.length(2);
        for (const v of HOSTILE)
          expect(Object.getOwnPropertyDescriptor(scans[0].totals.preprodVersions, v)?.value, v).to.equal(1);
      } finally {
        await reader.close();
      }
    } finally {
      const client = await MongoClient.connect(url);
      await client
        .db(dbName)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
    }
  });

  it('a line poisoned by an older recorder is still read, its bad counts dropped', async () => {
    const file = path.join(tmp.dir, 'old.log');
    const totals = {
      asked: 2,
      answered: 2,
      preprod: 1,
      production: 1,
      unknown: 0,
      selected: 1,
      notSelected: 1,
      failed: {},
      byReason: { selected: 1, toString: 'function toString() { [native code] }1' },
      preprodVersions: { constructor: 'function Object() { [native code] }1', '1.0': 3 },
    };
    const change = { n: '10.0.0.1:16127', q: 1, a: 1, v: 'constructor', m: 'preprod', r: 'selected', k: 's' };
    const scan = { seq: 1, at: '2026-01-01T00:00:00.000Z', totals, changes: [change] };
    await fs.writeFile(file, headerLine() + encodeLine(scan));
    const scans = await new FileHistory(file).read();
    expect(scans).to.have.length(1);
    expect({ ...scans[0].totals.preprodVersions }).to.deep.equal({ '1.0': 3 });
    expect({ ...scans[0].totals.byReason }).to.deep.equal({ selected: 1 });
    const gate = await runCli(['gate', '--history', `file:${file}`, '--json']);
    expect(gate.code, describeRun(gate)).to.not.equal(4);
    const record = await runCli([
      'fleet',
      ...fleet.targets,
      '--record',
      `file:${file}`,
      '--at',
      '2026-01-02T00:00:00Z',
    ]);
    expect(record.code, describeRun(record)).to.equal(0);
    expect(await new FileHistory(file).read()).to.have.length(2);
  });
});
