import { expect } from 'chai';
import * as http from 'node:http';
import { Writable } from 'node:stream';
import {
  aggregate,
  formatJson,
  formatPrometheus,
  formatTable,
  runFleet,
  scanFleet,
  scanNode,
  type NodeResult,
} from '../../src/fleet';
import { startFakeFleet, type FakeFleet, type FakeNodeKind, type FakeNodeSpec } from '../support/fakeFleet';

const SHORT = 300;

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('fleet scan against a fake fleet on 127.0.0.1', function () {
  this.timeout(20000);
  const fleets: FakeFleet[] = [];
  async function fleet(specs: (FakeNodeKind | FakeNodeSpec)[]): Promise<FakeFleet> {
    const started = await startFakeFleet(specs);
    fleets.push(started);
    return started;
  }
  afterEach(async () => {
    await Promise.all(fleets.splice(0).map((f) => f.close()));
  });

  it('counts healthy nodes exactly, with versions and reasons, in target order', async () => {
    const specs: FakeNodeSpec[] = [
      ...Array.from({ length: 35 }, (): FakeNodeSpec => ({ kind: 'preprod' })),
      ...Array.from(
        { length: 5 },
        (): FakeNodeSpec => ({ kind: 'production', reason: 'crash-loop', branch: 'master' }),
      ),
      ...Array.from({ length: 440 }, (): FakeNodeSpec => ({ kind: 'production' })),
      ...Array.from({ length: 20 }, (): FakeNodeSpec => ({ kind: 'unknown' })),
    ];
    // Shuffled deterministically so order bugs in the pool would show.
    const order = specs.map((spec, i) => ({ spec, key: (i * 7919) % specs.length })).sort((a, b) => a.key - b.key);
    const f = await fleet(order.map((o) => o.spec));
    const results = await scanFleet(f.targets, { concurrency: 32, timeoutMs: 5000 });
    expect(results.map((r) => r.kind)).to.deep.equal(order.map((o) => o.spec.kind));
    expect(results.map((r) => `${r.host}:${r.port}`)).to.deep.equal(f.targets.map((t) => `${t.host}:${t.port}`));
    const summary = aggregate(results, { probability: 0.07 });
    expect(summary).to.include({
      asked: 500,
      answered: 500,
      preprod: 35,
      production: 445,
      unknown: 20,
      failedTotal: 0,
    });
    expect(summary.byReason.selected).to.equal(35);
    expect(summary.byReason['not-selected']).to.equal(440);
    expect(summary.byReason['crash-loop']).to.equal(5);
    expect({ ...summary.versions.preprod }).to.deep.equal({ '8.18.0': 35 });
    expect({ ...summary.versions.production }).to.deep.equal({ '8.17.0': 445 });
    expect({ ...summary.versions.unknown }).to.deep.equal({ '8.16.0': 20 });
    expect(summary.share.value).to.equal(35 / 480);
    expect(f.nodes.every((n) => n.stats.requests === 1)).to.equal(true);
  });

  describe('failure kinds, each from a node built to produce it', () => {
    const cases: { spec: FakeNodeKind | FakeNodeSpec; kind: string; detail?: RegExp }[] = [
      { spec: 'error-envelope', kind: 'degraded', detail: /ServiceUnavailable/ },
      { spec: 'html', kind: 'bad-json' },
      { spec: 'http-500', kind: 'http-500' },
      { spec: 'redirect', kind: 'http-302' },
      { spec: { kind: 'drip', dripIntervalMs: 50 }, kind: 'timeout' },
      { spec: 'hang', kind: 'timeout' },
      { spec: 'huge', kind: 'too-large' },
      { spec: 'huge-declared', kind: 'too-large', detail: /content-length/ },
      { spec: 'refused', kind: 'refused' },
      { spec: 'reset', kind: 'error', detail: /ECONNRESET/ },
      { spec: 'garbage', kind: 'error', detail: /HPE_/ },
      { spec: 'hostile', kind: 'preprod' },
    ];
    let f: FakeFleet;
    let results: NodeResult[];
    before(async () => {
      f = await startFakeFleet(cases.map((c) => c.spec));
      results = await scanFleet(f.targets, { timeoutMs: SHORT });
    });
    after(async () => {
      await f.close();
    });

    cases.forEach(({ spec, kind, detail }, i) => {
      const name = typeof spec === 'string' ? spec : spec.kind;
      it(`a ${name} node is ${kind}`, () => {
        expect(results[i].kind).to.equal(kind);
        if (detail) expect(results[i].detail).to.match(detail);
        expect(results[i].ms).to.be.a('number').and.to.be.at.least(0);
      });
    });

    it('follows no redirect', () => {
      const redirect = f.nodes[cases.findIndex((c) => c.spec === 'redirect')];
      expect(redirect.stats.requests).to.equal(1);
      // The refused node gets none; the error-envelope node is also asked /flux/preprod (docs/health.md).
      expect(f.nodes.reduce((sum, n) => sum + n.stats.requests, 0)).to.equal(cases.length - 1 + 1);
    });

    it('keeps only safe, short fields from the hostile node', () => {
      const hostile = results[cases.findIndex((c) => c.spec === 'hostile')];
      expect(hostile.version).to.equal('9'.repeat(64));
      expect(hostile.reason).to.equal('other');
      expect(hostile.branch).to.equal(undefined);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });

    it('leaves no connection open on any node', async () => {
      await waitFor(() => f.openConnections() === 0);
      expect(f.openConnections()).to.equal(0);
    });
  });

  it('cuts a node that drips bytes faster than any idle timeout at the one deadline', async () => {
    const f = await fleet([{ kind: 'drip', dripIntervalMs: 20 }]);
    const [result] = await scanFleet(f.targets, { timeoutMs: SHORT });
    expect(result.kind).to.equal('timeout');
    // Never before the deadline (a timer does not fire early); how much later depends on the machine.
    expect(result.ms).to.be.at.least(SHORT - 1);
    // It was still sending when cut: proof the deadline covers the body, not idle gaps.
    expect(f.nodes[0].stats.bytesSent).to.be.above(3);
    await waitFor(() => f.openConnections() === 0);
    expect(f.openConnections()).to.equal(0);
    const sentAtCut = f.nodes[0].stats.bytesSent;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(f.nodes[0].stats.bytesSent).to.equal(sentAtCut);
  });

  it('cuts 50 MB streams at the size cap with flat memory', async () => {
    const f = await fleet(['huge', 'huge', 'huge', 'huge-declared']);
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakBuffers = before.arrayBuffers;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
    }, 5);
    const results = await scanFleet(f.targets, { timeoutMs: 5000, maxBytes: 1048576 });
    clearInterval(sampler);
    const after = process.memoryUsage();
    peakRss = Math.max(peakRss, after.rss);
    peakBuffers = Math.max(peakBuffers, after.arrayBuffers);
    expect(results.map((r) => r.kind)).to.deep.equal(['too-large', 'too-large', 'too-large', 'too-large']);
    const MB = 1024 * 1024;
    // Buffering even one stream would add 50 MB; four would add 200 MB.
    expect((peakRss - before.rss) / MB, 'RSS growth in MB').to.be.below(30);
    expect((peakBuffers - before.arrayBuffers) / MB, 'ArrayBuffer growth in MB').to.be.below(20);
    for (const node of f.nodes) expect(node.stats.bytesSent / MB, 'MB the node managed to send').to.be.below(16);
    await waitFor(() => f.openConnections() === 0);
    expect(f.openConnections()).to.equal(0);
  });

  it('keeps at most `concurrency` fetches in flight', async () => {
    const f = await fleet(Array.from({ length: 20 }, (): FakeNodeKind => 'hang'));
    const controller = new AbortController();
    const scan = scanFleet(f.targets, { concurrency: 5, timeoutMs: 5000, signal: controller.signal });
    await waitFor(() => f.openConnections() >= 5);
    // Nothing finishes before the deadline, so a pool that over-admits would show more by now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(f.openConnections()).to.equal(5);
    expect(f.maxOpenConnections()).to.equal(5);
    controller.abort();
    const results = await scan;
    expect(results.every((r) => r.kind === 'aborted')).to.equal(true);
  });

  it('works through the queue in rounds of `concurrency`', async () => {
    const f = await fleet(Array.from({ length: 20 }, (): FakeNodeKind => 'hang'));
    const started = Date.now();
    const results = await scanFleet(f.targets, { concurrency: 5, timeoutMs: 200 });
    const elapsed = Date.now() - started;
    expect(results.every((r) => r.kind === 'timeout')).to.equal(true);
    // 20 nodes, 5 at a time, 200 ms each: at least four rounds (a deadline never ends early), of five at once.
    expect(elapsed).to.be.at.least(4 * 200 - 10);
    expect(f.maxOpenConnections()).to.be.at.least(5);
    expect(f.nodes.every((n) => n.stats.requests === 1)).to.equal(true);
  });

  it('always finishes and reports a mixed, hostile fleet', async () => {
    const kinds: (FakeNodeKind | FakeNodeSpec)[] = [
      'preprod',
      'production',
      'unknown',
      'error-envelope',
      'html',
      'http-500',
      'redirect',
      { kind: 'drip', dripIntervalMs: 50 },
      'huge',
      'refused',
      'hostile',
      'reset',
      'hang',
      'garbage',
      {
        kind: 'hostile',
        body:
          '{"status":"success","data":{"flux":{"preProdNode":false,' +
          '"version":"1\\"\\\\\\n2","preProd":{"reason":"selected"}}}}',
      },
      { kind: 'hostile', body: `${'['.repeat(50_000)}` },
      { kind: 'hostile', body: '{"status":"success","data":{"flux":{"preProdNode":true,"version":"\\ud800"}}}' },
      { kind: 'hostile', body: '\u0000\u0001\u0002' },
    ];
    const f = await fleet(kinds);
    const seen: number[] = [];
    const results = await scanFleet(f.targets, {
      concurrency: 3,
      timeoutMs: SHORT,
      onResult: (done) => {
        seen.push(done);
        throw new Error('a progress callback that throws');
      },
    });
    expect(results).to.have.length(kinds.length);
    expect(seen).to.deep.equal(kinds.map((_, i) => i + 1));
    expect(results.slice(14).map((r) => r.kind)).to.deep.equal(['production', 'bad-json', 'preprod', 'bad-json']);
    expect(results[14].version).to.equal('1"\\?2');
    expect(results[16].version).to.equal('?');
    const summary = aggregate(results, { probability: 0.07 });
    expect(summary.asked).to.equal(kinds.length);
    expect(summary.answered + summary.degraded + summary.failedTotal).to.equal(kinds.length);
    expect(formatTable(summary)).to.include('Nodes asked 18');
    expect(JSON.parse(formatJson(summary))).to.have.property('asked', 18);
    expect(formatPrometheus(summary)).to.include('version="1\\"\\\\?2"');
  });

  it('stops when aborted and still returns a result for every target', async () => {
    const f = await fleet([...Array.from({ length: 30 }, (): FakeNodeKind => 'hang'), 'preprod']);
    const controller = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    setTimeout(() => controller.abort(), 100);
    // A deadline of a minute: only the abort can end these fetches before the test's own timeout.
    const results = await scanFleet(f.targets, { concurrency: 20, timeoutMs: 60_000, signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(results.map((r) => r.kind)).to.deep.equal(Array.from({ length: 31 }, () => 'aborted'));
    // One abort listener per scan, not one per fetch in flight (EventTarget warns past 10).
    expect(warnings.map((w) => w.message)).to.deep.equal([]);
    expect(controller.signal.aborted).to.equal(true);
    await waitFor(() => f.openConnections() === 0);
    expect(f.openConnections()).to.equal(0);
  });

  it('scans nothing when the signal has already fired', async () => {
    const f = await fleet(['preprod']);
    const results = await scanFleet(f.targets, { signal: AbortSignal.abort() });
    expect(results.map((r) => r.kind)).to.deep.equal(['aborted']);
    expect(f.nodes[0].stats.requests).to.equal(0);
  });

  const badOptions: [string, Record<string, number>][] = [
    ['zero concurrency', { concurrency: 0 }],
    ['NaN concurrency', { concurrency: Number.NaN }],
    ['negative timeout', { timeoutMs: -1 }],
    ['NaN size cap', { maxBytes: Number.NaN }],
  ];
  for (const [name, options] of badOptions) {
    it(`falls back to the default on ${name}`, async () => {
      const f = await fleet(['preprod', 'production']);
      const results = await scanFleet(f.targets, options);
      expect(results.map((r) => r.kind)).to.deep.equal(['preprod', 'production']);
    });
  }

  it('scanNode fetches one node with a caller-owned agent and signal', async () => {
    const f = await fleet(['preprod', 'hang']);
    const agent = new http.Agent({ keepAlive: false });
    try {
      const ok = await scanNode(f.targets[0], { timeoutMs: 2000, maxBytes: 65536, agent });
      expect(ok).to.include({ kind: 'preprod', version: '8.18.0', reason: 'selected', branch: 'preprod' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const cut = await scanNode(f.targets[1], {
        timeoutMs: 60_000,
        maxBytes: 65536,
        agent,
        signal: controller.signal,
      });
      expect(cut.kind).to.equal('aborted');
    } finally {
      agent.destroy();
    }
  });

  it('connects to a checked address when a target carries one, naming the host in the request', async () => {
    const f = await fleet(['preprod']);
    // `.invalid` never resolves (RFC 6761): only the checked address can reach the node.
    const target = { host: 'node-1.invalid', port: f.targets[0].port, address: f.targets[0].host };
    const [result] = await scanFleet([target]);
    expect(result).to.include({ host: 'node-1.invalid', kind: 'preprod' });
    expect(f.nodes[0].stats.lastHostHeader).to.equal(`node-1.invalid:${target.port}`);
    const [unchecked] = await scanFleet([{ host: 'node-1.invalid', port: f.targets[0].port }], { timeoutMs: 3000 });
    expect(unchecked.kind).to.equal('error');
  });

  it('returns an empty list for no targets', async () => {
    expect(await scanFleet([])).to.deep.equal([]);
  });

  it('runFleet scans, reports every node and summarises', async () => {
    const f = await fleet(['preprod', 'production', 'production', 'refused']);
    const written: string[] = [];
    const pipe = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString());
        callback();
      },
    }) as unknown as NodeJS.WriteStream;
    const nodes: string[] = [];
    const summary = await runFleet({
      targets: f.targets,
      concurrency: 2,
      timeoutMs: 2000,
      probability: 0.07,
      progressStream: pipe,
      onNode: (r) => nodes.push(r.kind),
    });
    expect(summary).to.include({ asked: 4, answered: 3, preprod: 1, production: 2, failedTotal: 1 });
    expect(summary.failed.refused).to.equal(1);
    expect(nodes.sort()).to.deep.equal(['preprod', 'production', 'production', 'refused']);
    expect(written.join('')).to.equal('');
  });
});
