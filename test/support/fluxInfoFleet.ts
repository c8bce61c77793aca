/**
 * A local fleet of real HTTP nodes on 127.0.0.1 answering real FluxOS's `/flux/info` shape (v8.17.0
 * getFluxInfo(): daemon, node, benchmark, flux, apps, geolocation), 1% of answers per scan an error envelope,
 * and the recipe's `/flux/preprod`, with the preProd block the gate reads (mode, reason, commit, probability,
 * draw); scanned by test/integration/healthJudge.test.ts and gateHealth.test.ts. Release nodes switch onto
 * the release 1–4 hours after the push (FluxOS restarts: a new `bootedAt`). With `harm` on, 5% of release
 * nodes (among the 65% that host apps) run no app once on the release while everything else keeps answering.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../../src/cohort/random';

const PROVIDERS = ['Hetzner Online GmbH', 'OVH SAS', 'Contabo GmbH', 'home ISP'];
export const OLD = { version: '8.17.0', commit: 'c0ffee17c0ffee17c0ffee17c0ffee17c0ffee17' };
export const RELEASE = { version: '8.18.0', commit: 'c0ffee18c0ffee18c0ffee18c0ffee18c0ffee18' };

export interface FluxInfoFleetOptions {
  nodes: number;
  releaseShare: number;
  /** Hour the release is pushed; nodes take it 1–4 hours later. */
  pushAt: number;
  seed: number;
}

interface FleetNode {
  release: boolean;
  draw: number;
  adoptAt: number;
  hosts: boolean;
  harmed: boolean;
  arcane: boolean;
  provider: string;
}

export interface FluxInfoFleet {
  /** `127.0.0.1:port` of every node. */
  targets: string[];
  /** The hour every node serves. */
  hour: number;
  /** Whether harmed nodes run no app on the release. */
  harm: boolean;
  /** Release nodes that lose their apps when `harm` is on. */
  readonly harmedNodes: number;
  readonly releaseNodes: number;
  close(): Promise<void>;
}

/** A per-(node, hour) draw that does not depend on the order requests arrive in. */
function draw(node: number, hour: number, salt: number): number {
  return seededRandom(((node * 7919 + hour * 104_729 + salt * 15_485_863) >>> 0) % 0xffffffff)();
}

function fluxBlock(node: FleetNode, hour: number, probability: number): Record<string, unknown> {
  const onRelease = node.release && hour >= node.adoptAt;
  const { version, commit } = onRelease ? RELEASE : OLD;
  return {
    version,
    ...(node.arcane ? { arcaneVersion: '1.4.2' } : {}),
    preProdNode: node.release,
    preProd: {
      mode: node.release ? 'preprod' : 'production',
      reason: node.release ? 'selected' : 'not-selected',
      branch: node.release ? 'preprod' : 'master',
      commit,
      probability,
      draw: node.draw,
      // The switch onto the release restarts FluxOS.
      bootedAt: new Date(Date.UTC(2026, 0, 1) + (onRelease ? node.adoptAt : 0) * 3_600_000).toISOString(),
    },
  };
}

function infoBody(node: FleetNode, i: number, fleet: FluxInfoFleet, probability: number): unknown {
  const { hour } = fleet;
  if (draw(i, hour, 1) < 0.01) {
    return { status: 'error', data: { code: 500, name: 'Error', message: 'connect ENOENT /var/run/docker.sock' } };
  }
  const onRelease = node.release && hour >= node.adoptAt;
  const apps = !node.hosts || (fleet.harm && node.harmed && onRelease) || draw(i, hour, 2) < 0.02 ? 0 : 1 + (i % 5);
  const { version, ...flux } = fluxBlock(node, hour, probability);
  return {
    status: 'success',
    data: {
      daemon: { info: { blocks: 1_900_000 + hour * 120 } },
      node: { status: { status: 'CONFIRMED', tier: 'CUMULUS' } },
      benchmark: { status: { status: 'online', benchmarking: 'CUMULUS' }, bench: { status: 'CUMULUS' } },
      flux: { version, numberOfConnectionsIn: 12, numberOfConnectionsOut: 10, ...flux },
      apps: { runningapps: Array.from({ length: apps }, (_, k) => ({ Names: [`/fluxapp${k}_${i}`] })) },
      geolocation: { countryCode: 'DE', org: node.provider },
    },
  };
}

export async function startFluxInfoFleet(options: FluxInfoFleetOptions): Promise<FluxInfoFleet> {
  const random = seededRandom(options.seed);
  const nodes: FleetNode[] = Array.from({ length: options.nodes }, () => {
    const release = random() < options.releaseShare;
    const hosts = random() < 0.65;
    return {
      release,
      draw: release ? random() * options.releaseShare : options.releaseShare + random() * (1 - options.releaseShare),
      adoptAt: options.pushAt + 1 + Math.floor(random() * 4),
      hosts,
      harmed: release && hosts && random() < 0.05 / 0.65,
      arcane: random() < 0.3,
      provider: PROVIDERS[Math.floor(random() * PROVIDERS.length)],
    };
  });
  const servers: http.Server[] = [];
  const fleet: FluxInfoFleet = {
    targets: [],
    hour: 0,
    harm: false,
    harmedNodes: nodes.filter((n) => n.harmed).length,
    releaseNodes: nodes.filter((n) => n.release).length,
    close: async () => {
      await Promise.all(
        servers.map(
          (server) => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
        ),
      );
    },
  };
  for (const [i, node] of nodes.entries()) {
    const server = http.createServer((req, res) => {
      const body =
        req.url === '/flux/info'
          ? infoBody(node, i, fleet, options.releaseShare)
          : { status: 'success', data: { flux: fluxBlock(node, fleet.hour, options.releaseShare) } };
      const text = JSON.stringify(body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    fleet.targets.push(`127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return fleet;
}
