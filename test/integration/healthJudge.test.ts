/**
 * The health judgement end to end, short of the gate (docs/health.md): hourly scans of real HTTP nodes on
 * 127.0.0.1 answering real FluxOS's `/flux/info` shape (v8.17.0 getFluxInfo(), error envelopes included,
 * and the recipe's `/flux/preprod`), read by the real scanner, kept in a HealthLedger, judged by every
 * signal. A release that empties `apps.runningapps` on 5% of its nodes halts, by the apps signal; the same
 * fleet without it does not halt. Scans are numbered, not timed: the statistics take the look as a scan.
 */
import { expect } from 'chai';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../../src/cohort/random';
import { scanFleet } from '../../src/fleet/scan';
import { HealthLedger, judgeHealth } from '../../src/health/ledger';

const NODES = 1000;
const RELEASE_SHARE = 0.4;
const SCANS = 30;
const PUSH_AT = 12;
const PROVIDERS = ['Hetzner Online GmbH', 'OVH SAS', 'Contabo GmbH', 'home ISP'];

interface FleetNode {
  release: boolean;
  adoptAt: number;
  hosts: boolean;
  harmed: boolean;
  arcane: boolean;
  provider: string;
}

/** A per-(node, scan) draw that does not depend on the order requests arrive in. */
function draw(node: number, scan: number, salt: number): number {
  return seededRandom(((node * 7919 + scan * 104_729 + salt * 15_485_863) >>> 0) % 0xffffffff)();
}

function infoBody(node: FleetNode, i: number, scan: number, harm: boolean): unknown {
  if (draw(i, scan, 1) < 0.01) {
    return { status: 'error', data: { code: 500, name: 'Error', message: 'connect ENOENT /var/run/docker.sock' } };
  }
  const onRelease = node.release && scan >= node.adoptAt;
  const apps = !node.hosts || (harm && node.harmed && onRelease) || draw(i, scan, 2) < 0.02 ? 0 : 1 + (i % 5);
  return {
    status: 'success',
    data: {
      daemon: { info: { blocks: 1_900_000 + scan * 120 } },
      node: { status: { status: 'CONFIRMED', tier: 'CUMULUS' } },
      benchmark: { status: { status: 'online', benchmarking: 'CUMULUS' }, bench: { status: 'CUMULUS' } },
      flux: {
        version: onRelease ? '8.18.0' : '8.17.0',
        numberOfConnectionsIn: 12,
        numberOfConnectionsOut: 10,
        ...flux(node, scan),
      },
      apps: { runningapps: Array.from({ length: apps }, (_, k) => ({ Names: [`/fluxapp${k}_${i}`] })) },
      geolocation: { countryCode: 'DE', org: node.provider },
    },
  };
}

function flux(node: FleetNode, scan: number): Record<string, unknown> {
  const onRelease = node.release && scan >= node.adoptAt;
  return {
    ...(node.arcane ? { arcaneVersion: '1.4.2' } : {}),
    preProdNode: node.release,
    preProd: {
      mode: node.release ? 'preprod' : 'production',
      reason: node.release ? 'selected' : 'not-selected',
      commit: onRelease ? 'c0ffee18' : 'c0ffee17',
      // The switch onto the release restarts FluxOS.
      bootedAt: new Date(Date.UTC(2026, 0, 1) + (onRelease ? node.adoptAt : 0) * 3_600_000).toISOString(),
    },
  };
}

describe('health judgement over hourly scans of real HTTP nodes (real FluxOS /flux/info shapes)', function () {
  this.timeout(600_000);
  const random = seededRandom(2020);
  const fleet: FleetNode[] = Array.from({ length: NODES }, () => {
    const release = random() < RELEASE_SHARE;
    const hosts = random() < 0.65;
    return {
      release,
      adoptAt: PUSH_AT + 1 + Math.floor(random() * 4),
      hosts,
      harmed: release && hosts && random() < 0.05 / 0.65,
      arcane: random() < 0.3,
      provider: PROVIDERS[Math.floor(random() * PROVIDERS.length)],
    };
  });
  const servers: http.Server[] = [];
  let scan = 0;
  let harm = false;

  before(async () => {
    for (const [i, node] of fleet.entries()) {
      const server = http.createServer((req, res) => {
        const body =
          req.url === '/flux/info'
            ? infoBody(node, i, scan, harm)
            : { status: 'success', data: { flux: { version: '8.17.0', ...flux(node, scan) } } };
        const text = JSON.stringify(body);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
    }
  });
  after(() => {
    for (const server of servers) server.close();
  });

  async function record(withHarm: boolean): Promise<HealthLedger> {
    harm = withHarm;
    const targets = servers.map((s) => ({ host: '127.0.0.1', port: (s.address() as AddressInfo).port }));
    const ledger = new HealthLedger('c0ffee18');
    for (scan = 0; scan < SCANS; scan += 1) {
      const results = await scanFleet(targets, { concurrency: 64, timeoutMs: 30_000 });
      expect(results.filter((r) => r.kind === 'degraded').length, 'error envelopes are degraded').to.be.above(0);
      ledger.addScan(results);
    }
    return ledger;
  }

  it('a release that stops apps on 5% of its nodes halts, by the apps signal only', async () => {
    const judgement = judgeHealth(await record(true));
    const halting = judgement.signals.filter((s) => s.judgement.halt).map((s) => s.name);
    expect(halting).to.deep.equal(['apps']);
    const apps = judgement.signals.find((s) => s.name === 'apps')?.judgement.strata[0];
    expect(apps?.bounds.nodes).to.be.above(300);
    expect(apps?.bounds.estimate).to.be.within(0.03, 0.08);
    expect(judgement.halt).to.equal(true);
  });

  it('the same fleet without the harm halts on no signal', async () => {
    const judgement = judgeHealth(await record(false));
    expect(judgement.signals.filter((s) => s.judgement.halt).map((s) => s.name)).to.deep.equal([]);
    const apps = judgement.signals.find((s) => s.name === 'apps')?.judgement.strata[0];
    expect(apps?.bounds.estimate).to.be.within(-0.02, 0.02);
  });
});
