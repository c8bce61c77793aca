/**
 * `fleet` over real HTTP nodes on 127.0.0.1 answering real FluxOS's `/flux/info` shape (v8.17.0,
 * getFluxInfo()), some with its error envelope (docs/health.md): the CLI as a real process, table and
 * JSON. A node whose /flux/info fails is degraded (answered), with its state from /flux/preprod when it has
 * that route; the table and JSON carry the signals' fleet-wide values; hostile values stay out.
 */
import { expect } from 'chai';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeRun, runCli } from '../support/cli';

interface FakeNode {
  info: unknown;
  /** The /flux/preprod reply; undefined: the route is missing (404), as on FluxOS without the recipe. */
  preprod?: unknown;
}

function realInfo(i: number, overrides: { apps?: number; arcane?: boolean; preprod?: boolean; org?: string } = {}) {
  return {
    status: 'success',
    data: {
      daemon: { info: { version: 9000050, blocks: 1_900_000 - (i === 0 ? 500 : 0) } },
      node: { status: { status: i === 1 ? 'EXPIRED' : 'CONFIRMED', tier: 'CUMULUS' } },
      benchmark: { status: { status: 'online', benchmarking: 'CUMULUS' }, bench: { status: 'CUMULUS' } },
      flux: {
        version: '8.17.0',
        numberOfConnectionsIn: 10 + i,
        numberOfConnectionsOut: 12,
        ...(overrides.arcane ? { arcaneVersion: '1.4.2' } : {}),
        preProdNode: overrides.preprod ?? false,
        preProd: {
          mode: overrides.preprod ? 'preprod' : 'production',
          reason: overrides.preprod ? 'selected' : 'not-selected',
          bootedAt: new Date(Date.now() - 3 * 3_600_000).toISOString(),
        },
      },
      apps: { runningapps: Array.from({ length: overrides.apps ?? 2 }, (_, k) => ({ Names: [`/fluxapp${k}`] })) },
      geolocation: { countryCode: 'DE', org: overrides.org ?? 'Hetzner Online GmbH' },
    },
  };
}

const ERROR_ENVELOPE = {
  status: 'error',
  data: { code: 500, name: 'Error', message: 'connect ENOENT /var/run/docker.sock' },
};
const CHEAP = {
  status: 'success',
  data: { flux: { version: '8.17.0', preProdNode: true, preProd: { mode: 'preprod' } } },
};

describe('fleet shows health signals (real HTTP nodes with real FluxOS /flux/info shapes)', function () {
  this.timeout(60_000);
  const servers: http.Server[] = [];
  let targets: string[] = [];

  before(async () => {
    const nodes: FakeNode[] = [
      ...Array.from({ length: 6 }, (_, i) => ({ info: realInfo(i) })),
      { info: realInfo(6, { apps: 0, arcane: true, preprod: true }) },
      { info: realInfo(7, { arcane: true, org: '\u001b[2J__proto__' }) },
      { info: ERROR_ENVELOPE, preprod: CHEAP },
      { info: ERROR_ENVELOPE },
    ];
    for (const node of nodes) {
      const server = http.createServer((req, res) => {
        const body = req.url === '/flux/info' ? node.info : req.url === '/flux/preprod' ? node.preprod : undefined;
        res.statusCode = body === undefined ? 404 : 200;
        res.setHeader('content-type', 'application/json');
        res.end(body === undefined ? '' : JSON.stringify(body));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
    }
    targets = servers.map((s) => `127.0.0.1:${(s.address() as AddressInfo).port}`);
  });
  after(() => {
    for (const server of servers) server.close();
  });

  it('JSON: degraded nodes answered, with their state; the fleet-wide signal values', async () => {
    const run = await runCli(['fleet', ...targets, '--timeout', '5000', '--json']);
    expect(run.code, describeRun(run)).to.equal(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).to.include({ asked: 10, answered: 8, degraded: 2, failedTotal: 0 });
    expect(summary.degradedByState).to.deep.equal({ preprod: 1, production: 0, unknown: 1 });
    expect(summary.failed).to.not.have.property('error-envelope');
    const health = summary.health;
    expect(health).to.include({ reporting: 8, arcane: 2, blocksMedian: 1_900_000 });
    expect(health.confirmed).to.deep.equal({ yes: 7, no: 1 });
    expect(health.benchmarkPassing).to.deep.equal({ yes: 8, no: 0 });
    expect(health.apps).to.deep.equal({ reporting: 8, hosting: 7, total: 14 });
    expect(health.behind).to.deep.equal({ reporting: 8, nodes: 1 });
    expect(health.uptimeHoursMedian).to.be.within(2.9, 3.2);
    expect(health.degradedByClass).to.include({ docker: 2 });
    expect(health.providers.top).to.deep.equal([
      { name: 'Hetzner Online GmbH', nodes: 7 },
      { name: '?[2J__proto__', nodes: 1 },
    ]);
    expect(({} as Record<string, unknown>).nodes).to.equal(undefined);
  });

  it('table: a degraded row and a Health block, no escape character from a node', async () => {
    const run = await runCli(['fleet', ...targets, '--timeout', '5000']);
    expect(run.code, describeRun(run)).to.equal(0);
    expect(run.stdout).to.match(/degraded\s+2 {2}\(answered with an error envelope/);
    expect(run.stdout).to.include('Health (8 nodes with a full /flux/info):');
    expect(run.stdout).to.include('apps         7 of 8 nodes host apps, 14 apps');
    expect(run.stdout).to.include('degraded     docker 2');
    expect(run.stdout).to.include('ArcaneOS     2 of 8 (25.0%)');
    expect(run.stdout).to.not.include('\u001b');
  });
});
