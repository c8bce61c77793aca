/**
 * Health signals through the real recording path (docs/health.md, "History"): hourly
 * `fleet --record --at` runs of the CLI against real HTTP nodes on 127.0.0.1 answering real FluxOS's
 * `/flux/info` shape (v8.17.0 getFluxInfo(), error envelopes included, and the recipe's `/flux/preprod`),
 * recorded into a file history and a MongoDB history. Read back, each history gives every node the health
 * the scans served, and the nodes that answered with an error envelope are answered and degraded, with the
 * mode `/flux/preprod` gave. The ledger rebuilt from the history (healthFromHistory) has one scan an hour.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { healthFromHistory } from '../../src/gate/history/healthFromHistory';
import { openHistory } from '../../src/gate/history/history';
import { NodeTable, type ScanRecord } from '../../src/gate/history/scanRecord';
import { GOOD, BAD, UNKNOWN } from '../../src/health/didStats';
import { SIGNAL_RULES } from '../../src/health/signalRules';
import { describeRun, runCli } from '../support/cli';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';

const NODES = 60;
const SCANS = 4;
const PROVIDERS = ['Hetzner Online GmbH', 'OVH SAS', 'Contabo GmbH', 'home ISP'];
const EPOCH_MS = Date.UTC(2026, 0, 1);
const hour = (scan: number) => new Date(EPOCH_MS + scan * 3_600_000).toISOString();

/** What node `i` serves at scan `scan`: deterministic, so the test knows what every scan saw. */
const plan = {
  degraded: (i: number, scan: number) => (i + scan) % 6 === 0,
  preprod: (i: number) => i % 5 === 0,
  apps: (i: number, scan: number) => (i % 3 === 0 && scan >= 2 ? 0 : 1 + ((i + scan) % 4)),
  confirmed: (i: number, scan: number) => !(i % 7 === 0 && scan === 3),
  bootedAt: (i: number, scan: number) => EPOCH_MS - 86_400_000 + (i % 4 === 0 && scan >= 1 ? 3_600_000 : 0),
};

function fluxFields(i: number, scan: number): Record<string, unknown> {
  return {
    preProdNode: plan.preprod(i),
    preProd: {
      mode: plan.preprod(i) ? 'preprod' : 'production',
      reason: plan.preprod(i) ? 'selected' : 'not-selected',
      commit: plan.preprod(i) ? 'c0ffee18' : 'c0ffee17',
      bootedAt: new Date(plan.bootedAt(i, scan)).toISOString(),
    },
  };
}

function infoBody(i: number, scan: number): unknown {
  if (plan.degraded(i, scan)) {
    return { status: 'error', data: { code: 500, name: 'Error', message: 'connect ENOENT /var/run/docker.sock' } };
  }
  return {
    status: 'success',
    data: {
      daemon: { info: { blocks: 1_900_000 + scan * 120 - (i === 1 ? 50 : 0) } },
      node: { status: { status: plan.confirmed(i, scan) ? 'CONFIRMED' : 'EXPIRED', tier: 'CUMULUS' } },
      benchmark: { status: { status: 'online', benchmarking: 'CUMULUS' }, bench: { status: 'CUMULUS' } },
      flux: { version: '8.17.0', numberOfConnectionsIn: 12, numberOfConnectionsOut: 10, ...fluxFields(i, scan) },
      apps: { runningapps: Array.from({ length: plan.apps(i, scan) }, (_, k) => ({ Names: [`/fluxapp${k}_${i}`] })) },
      geolocation: { countryCode: 'DE', org: PROVIDERS[i % PROVIDERS.length] },
    },
  };
}

describe('health signals recorded by fleet --record --at and read back (real HTTP nodes, FluxOS shapes)', function () {
  this.timeout(600_000);
  const servers: http.Server[] = [];
  const ports: number[] = [];
  let scan = 0;
  let tmp: ReturnType<typeof makeTempDir>;

  before(async () => {
    tmp = makeTempDir('health-record-');
    for (let i = 0; i < NODES; i += 1) {
      const server = http.createServer((req, res) => {
        const body =
          req.url === '/flux/info'
            ? infoBody(i, scan)
            : { status: 'success', data: { flux: { version: '8.17.0', ...fluxFields(i, scan) } } };
        const text = JSON.stringify(body);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      ports.push((server.address() as AddressInfo).port);
    }
  });
  after(() => {
    for (const server of servers) server.close();
    tmp.remove();
  });

  /** Records SCANS hourly scans into `store` through the CLI, and reads the history back. */
  async function recordAndRead(store: string): Promise<ScanRecord[]> {
    const targets = path.join(tmp.dir, 'targets.txt');
    await fs.writeFile(targets, ports.map((p) => `127.0.0.1:${p}\n`).join(''));
    for (scan = 0; scan < SCANS; scan += 1) {
      const run = await runCli(['fleet', '--targets', targets, '--record', store, '--at', hour(scan), '--json']);
      expect(run.code, describeRun(run)).to.equal(0);
      const summary = JSON.parse(run.stdout) as { degraded: number; asked: number };
      expect(summary.asked).to.equal(NODES);
      expect(summary.degraded, 'error envelopes are degraded').to.equal(NODES / 6);
    }
    const history = await openHistory(store);
    try {
      return await history.read();
    } finally {
      await history.close();
    }
  }

  /** Replays the history scan by scan and checks every node's state against what that scan served. */
  function expectServedHealth(scans: ScanRecord[]): void {
    expect(scans.map((s) => s.at)).to.deep.equal(Array.from({ length: SCANS }, (_, s) => hour(s)));
    const table = new NodeTable();
    scans.forEach((record, s) => {
      table.apply(record);
      expect(record.totals.answered, 'degraded nodes count as answered').to.equal(NODES);
      for (let i = 0; i < NODES; i += 1) {
        const state = table.get(`127.0.0.1:${ports[i]}`);
        const where = `node ${i}, scan ${s}`;
        expect(state.answered, where).to.equal(true);
        expect(state.mode, where).to.equal(plan.preprod(i) ? 'preprod' : 'production');
        expect(state.commit, where).to.equal(plan.preprod(i) ? 'c0ffee18' : 'c0ffee17');
        // A degraded scan knows no provider: the last known one stands, none before the first success.
        const seen = Array.from({ length: s + 1 }, (_, t) => t).some((t) => !plan.degraded(i, t));
        expect(state.health?.provider, where).to.equal(seen ? PROVIDERS[i % PROVIDERS.length] : null);
        // /flux/preprod gives the boot time of a degraded node too.
        expect(state.health?.bootMinute, where).to.equal(Math.floor(plan.bootedAt(i, s) / 60_000));
        if (plan.degraded(i, s)) {
          expect(state.health?.degraded, where).to.equal('docker');
          expect(state.health?.runningApps, where).to.equal(null);
        } else {
          expect(state.health, where).to.include({
            degraded: null,
            runningApps: plan.apps(i, s),
            confirmed: plan.confirmed(i, s),
            benchmarkPassing: true,
            country: 'DE',
            peersInLevel: 2,
            peersOutLevel: 2,
            lagLevel: i === 1 ? 2 : 0,
          });
        }
      }
    });
    const apps = SIGNAL_RULES.find((r) => r.name === 'apps');
    const nodes = healthFromHistory(scans, 'c0ffee18').healthNodes(apps ?? SIGNAL_RULES[0]);
    const served = (i: number) =>
      Array.from({ length: SCANS }, (_, s) => (plan.degraded(i, s) ? UNKNOWN : plan.apps(i, s) > 0 ? GOOD : BAD));
    // The ledger keeps nodes in the history's table order (all answered the first scan).
    const order = table.keys.map((key) => ports.indexOf(Number(key.split(':')[1])));
    expect(nodes.map((n) => Array.from(n.series))).to.deep.equal(order.map(served));
    expect(nodes.map((n) => n.releaseAt)).to.deep.equal(order.map((i) => (plan.preprod(i) ? 0 : null)));
  }

  it('a file history gives back the health every scan served, degraded nodes answered', async () => {
    expectServedHealth(await recordAndRead(`file:${path.join(tmp.dir, 'history.log')}`));
  });

  it('a MongoDB history gives back the same', async function () {
    const url = (await requireMongo(this)).url;
    expectServedHealth(await recordAndRead(`${url}/${uniqueDbName('health-record')}`));
  });
});
