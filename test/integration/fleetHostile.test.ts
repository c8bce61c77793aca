/**
 * Hostile nodes among honest ones, on 127.0.0.1 (docs/design.md §7): whatever
 * a hostile node does (drip, send megabytes, nest JSON deeply, finish at the
 * same instant as many others, never answer), every honest node is still
 * classified `answered` with its own state, and the scanner's memory stays
 * within its byte budget whatever the concurrency is.
 */
import { expect } from 'chai';
import { access, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describeRun, runCli } from '../support/cli';
import { makeTempDir } from '../support/tmp';
import { scanFleet, type NodeResult, type ScanOptions } from '../../src/fleet';
import { heavyBody, nestedBody, startFakeFleet, type FakeFleet, type FakeNodeSpec } from '../support/fakeFleet';
import { startFakeFleetInWorker } from '../support/fakeFleetWorker';

const KiB = 1024;
const MiB = 1024 * KiB;

async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A deterministic shuffle, so hostile nodes sit between honest ones and order bugs would show. */
function interleave<T>(items: T[]): T[] {
  return items
    .map((item, i) => ({ item, key: (i * 7919) % items.length }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.item);
}

interface Planned {
  spec: FakeNodeSpec;
  /** What the node must be classified as; undefined for hostile nodes, which must not count as answered. */
  expected?: 'preprod' | 'production';
}

function honest(count: number): Planned[] {
  return Array.from({ length: count }, (_, i): Planned => {
    const kind = i % 14 === 0 ? 'preprod' : 'production';
    // Spread over 0..2.5 s, so many honest replies are in flight when the synchronised ones finish.
    return { spec: { kind, delayMs: (i * 37) % 2500 }, expected: kind };
  });
}

function hostile(): Planned[] {
  const many = (count: number, spec: () => FakeNodeSpec): Planned[] =>
    Array.from({ length: count }, () => ({ spec: spec() }));
  return [
    // Finish together: each holds its last byte until the shared release instant.
    ...many(60, () => ({ kind: 'sync', syncBytes: 960 * KiB })),
    ...many(20, () => ({ kind: 'sync', body: nestedBody(60 * KiB) })),
    ...many(10, () => ({ kind: 'drip', dripIntervalMs: 100 })),
    ...many(10, () => ({ kind: 'huge', hugeBytes: 8 * MiB })),
    ...many(10, () => ({ kind: 'hostile', body: nestedBody(960 * KiB) })),
    ...many(10, () => ({ kind: 'hostile', body: nestedBody(40 * KiB) })),
    ...many(20, () => ({ kind: 'hang' })),
  ];
}

describe('fleet scan: hostile nodes never change an honest node’s result', function () {
  // Only a hang is caught here: the scan itself ends at the per-node deadline of its slowest node.
  this.timeout(120_000);
  let fleet: FakeFleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('classifies every honest node answered among drip, huge, nested, synchronised and silent nodes', async () => {
    const plan = interleave([...honest(300), ...hostile()]);
    // Synchronised hostile nodes finish together with honest answers, and some honest ones also finish then.
    const syncHeavy: Planned[] = Array.from({ length: 20 }, () => ({
      spec: { kind: 'sync', body: heavyBody(60 * KiB) },
      expected: 'production',
    }));
    plan.push(...syncHeavy);
    fleet = await startFakeFleet(plan.map((p) => p.spec));
    const releaseAt = Date.now() + 1000;
    for (const node of fleet.nodes) if (node.spec.kind === 'sync') node.spec.releaseAt = releaseAt;

    const results = await scanFleet(fleet.targets);

    const wrong = plan
      .map((p, i) => ({ expected: p.expected, result: results[i] }))
      .filter(({ expected, result }) => expected !== undefined && result.kind !== expected)
      .map(({ expected, result }) => `${result.port}: expected ${expected}, got ${result.kind} after ${result.ms} ms`);
    expect(wrong, 'honest nodes with another result').to.deep.equal([]);
    const answered = (r: NodeResult): boolean =>
      r.kind === 'preprod' || r.kind === 'production' || r.kind === 'unknown';
    const hostileAnswered = plan.filter((p, i) => p.expected === undefined && answered(results[i]));
    expect(hostileAnswered, 'hostile nodes counted as answered').to.deep.equal([]);
  });

  it('counts replies that arrived while the event loop was busy past their deadline', async () => {
    // The nodes answer from their own thread, so their replies arrive while this thread is blocked.
    const nodes = await startFakeFleetInWorker(
      Array.from({ length: 20 }, (): FakeNodeSpec => ({ kind: 'production', delayMs: 20 })),
    );
    try {
      const scan = scanFleet(nodes.targets, { timeoutMs: 200 });
      await waitFor(() => nodes.requests() >= 20);
      // Another node's work holds this loop past every deadline while the replies arrive: in an I/O
      // callback, as a parse would, until all 20 are written and the kernel has had time to deliver them.
      await new Promise<void>((resolve, reject) => {
        access(__filename, () => {
          const started = performance.now();
          let allReplied = Number.POSITIVE_INFINITY;
          while (performance.now() - started < 400 || performance.now() - allReplied < 50) {
            if (allReplied === Number.POSITIVE_INFINITY && nodes.replied() >= 20) allReplied = performance.now();
            if (performance.now() - started > 20_000) reject(new Error('The worker fleet did not reply within 20 s.'));
          }
          resolve();
        });
      });
      const results = await scan;
      expect(results.map((r) => r.kind)).to.deep.equal(results.map(() => 'production'));
    } finally {
      await nodes.close();
    }
  });

  it('keeps what it buffers within the byte budget whatever the concurrency', async () => {
    // Each node sends 60 KiB of a reply and then holds the last byte: a buffering scanner keeps it all.
    const spec: FakeNodeSpec = { kind: 'sync', body: heavyBody(60 * KiB), releaseAt: Date.now() + 3_600_000 };
    fleet = await startFakeFleet(Array.from({ length: 300 }, () => spec));
    const f = fleet;
    const asked = (): number => f.nodes.filter((node) => node.stats.requests > 0).length;
    const controller = new AbortController();
    const options: ScanOptions = {
      concurrency: 300,
      maxBytes: 64 * KiB,
      budgetBytes: 2 * MiB,
      signal: controller.signal,
    };
    const before = process.memoryUsage().arrayBuffers;
    const scan = scanFleet(f.targets, options);
    // No node finishes before its 5 s deadline: every fetch started so far is still in flight.
    await waitFor(() => asked() >= 32);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const held = (process.memoryUsage().arrayBuffers - before) / MiB;
    const inFlight = asked();
    controller.abort();
    const results = await scan;
    expect(results.map((r) => r.kind)).to.deep.equal(results.map(() => 'aborted'));
    // 2 MiB / 64 KiB = 32 fetches at once, each holding at most 64 KiB.
    expect(inFlight, 'nodes asked while none had finished').to.equal(32);
    // Unbounded, 300 × 60 KiB = 18 MiB sit in buffers at once.
    expect(held, 'MiB of buffers held').to.be.below(8);
  });
});

describe('fleet: a JSON node list cannot turn the scanner against this machine’s network', function () {
  this.timeout(60_000);
  let fleet: FakeFleet;
  let temp: { dir: string; remove: () => void };
  before(async () => {
    fleet = await startFakeFleet(['preprod', 'production']);
    temp = makeTempDir('fleet-private-');
  });
  after(async () => {
    await fleet.close();
    temp.remove();
  });

  async function nodeList(name: string, ips: string[]): Promise<string> {
    const file = path.join(temp.dir, name);
    await fs.writeFile(file, JSON.stringify({ status: 'success', data: ips.map((ip) => ({ ip, tier: 'CUMULUS' })) }));
    return file;
  }

  it('drops and counts loopback, private and link-local entries and names; scans command-line targets', async () => {
    const listed = fleet.targets[0].port;
    const file = await nodeList('inward.json', [
      `127.0.0.1:${listed}`,
      `localhost:${listed}`,
      `[::ffff:127.0.0.1]:${listed}`,
      '10.0.0.1:16127',
      '169.254.169.254:80',
    ]);
    const typed = `127.0.0.1:${fleet.targets[1].port}`;
    const run = await runCli(['fleet', typed, '--targets', file, '--timeout', '3000', '--json']);
    expect(run.code, describeRun(run)).to.equal(0);
    const summary = JSON.parse(run.stdout) as { asked: number; production: number; dropped: unknown };
    expect(summary).to.include({ asked: 1, production: 1 });
    expect(summary.dropped).to.deep.equal({ total: 5, byScope: { loopback: 3, private: 1, 'link-local': 1 } });
    expect(run.stderr).to.match(/Dropped 5 node-list entries that point at no public address .*--allow-private/);
    expect(fleet.nodes[0].stats.requests, 'requests to the node behind the node list').to.equal(0);
    expect(fleet.nodes[1].stats.requests, 'requests to the node typed on the command line').to.equal(1);
  });

  it('exits 2 with one sentence when the node list held only inward entries', async () => {
    const file = await nodeList('only-inward.json', [`127.0.0.1:${fleet.targets[0].port}`]);
    const run = await runCli(['fleet', '--targets', file, '--timeout', '3000']);
    expect(run.code, describeRun(run)).to.equal(2);
    expect(run.stderr).to.match(/Dropped 1 node-list entry/);
    expect(run.stderr).to.match(/Expected at least one target/);
    expect(fleet.nodes[0].stats.requests).to.equal(0);
  });

  it('scans them with --allow-private', async () => {
    const port = fleet.targets[0].port;
    const before = fleet.nodes[0].stats.requests;
    const file = await nodeList('allowed.json', [`127.0.0.1:${port}`, `localhost:${port}`]);
    const run = await runCli(['fleet', '--targets', file, '--allow-private', '--timeout', '3000', '--json']);
    expect(run.code, describeRun(run)).to.equal(0);
    expect(JSON.parse(run.stdout)).to.include({ asked: 2, preprod: 2 });
    expect(fleet.nodes[0].stats.requests - before).to.equal(2);
  });
});
