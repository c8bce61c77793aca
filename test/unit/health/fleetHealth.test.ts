import { expect } from 'chai';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PENDING_FLUX_INFO, createFluxInfoHandler, processStartedAt } from '../../../src/boot/fluxInfo';
import { fleetHealth, topNames } from '../../../src/health/fleetHealth';
import { healthLines } from '../../../src/health/healthTable';
import { NO_SIGNALS, type HealthSignals } from '../../../src/health/signals';

const signals = (overrides: Partial<HealthSignals>): HealthSignals => ({ ...NO_SIGNALS, ...overrides });

describe('fleet-wide health values', () => {
  it('topNames: most frequent first, ties by name, names from nodes never become object keys', () => {
    const names = ['b', '__proto__', 'a', 'b', '__proto__', 'constructor', null, 'c'];
    expect(topNames(names, 2)).to.deep.equal({
      top: [
        { name: '__proto__', nodes: 2 },
        { name: 'b', nodes: 2 },
      ],
      others: 3,
      unknown: 1,
    });
    expect(({} as Record<string, unknown>).nodes).to.equal(undefined);
  });

  it('fleetHealth: counts, medians and lag; degraded nodes by class only; nodes without signals ignored', () => {
    const now = 1_800_000_000;
    const results = [
      {
        ms: 100,
        health: signals({ confirmed: true, runningApps: 3, blocks: 1000, bootedAt: now - 7200, arcane: true }),
      },
      { ms: 300, health: signals({ confirmed: false, runningApps: 0, blocks: 1000, bootedAt: now - 3600 }) },
      { ms: 200, health: signals({ confirmed: true, blocks: 900, peersIn: 4, peersOut: 9 }) },
      { ms: 4000, health: signals({ degraded: 'docker' }) },
      { ms: 5000 },
    ];
    const health = fleetHealth(results, now);
    expect(health).to.deep.include({
      reporting: 3,
      confirmed: { yes: 2, no: 1 },
      apps: { reporting: 2, hosting: 1, total: 3 },
      blocksMedian: 1000,
      behind: { reporting: 3, nodes: 1 },
      arcane: 1,
      uptimeHoursMedian: 1,
      answerMs: { median: 200, p95: 4000 },
    });
    expect(health.degradedByClass).to.include({ docker: 1, daemon: 0 });
    expect(fleetHealth(results).uptimeHoursMedian).to.equal(null);
  });

  it('healthLines: printable, short, every signal on its own line', () => {
    const health = fleetHealth([
      { ms: 1, health: signals({ provider: `\u001b[2J${'x'.repeat(100)}`, country: 'DE' }) },
    ]);
    const lines = healthLines(health);
    expect(lines).to.have.length(12);
    for (const line of lines) expect(line).to.match(/^[\x20-\x7e…]*$/);
    expect(lines.join('\n')).to.include(`providers    ?[2J${'x'.repeat(19)}… 1`);
  });
});

describe('the package field bootedAt and the cheap route', () => {
  it('processStartedAt: now minus uptime, whole seconds, ISO', () => {
    expect(processStartedAt(Date.parse('2026-12-06T20:00:10.700Z'), 10.2)).to.equal('2026-12-06T20:00:00.000Z');
  });

  it('the standalone server answers /flux/preprod with the same body as /flux/info, bootedAt included', async () => {
    const { handle } = createFluxInfoHandler({ info: () => PENDING_FLUX_INFO, version: '8.17.0' });
    const server = http.createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const cheap = (await (await fetch(`${base}/flux/preprod`)).json()) as {
        data: { flux: { preProd: { bootedAt: string } } };
      };
      const info = await (await fetch(`${base}/flux/info`)).json();
      expect(cheap).to.deep.equal(info);
      expect(Date.parse(cheap.data.flux.preProd.bootedAt)).to.be.at.most(Date.now());
      expect((await fetch(`${base}/flux/other`)).status).to.equal(404);
    } finally {
      server.close();
    }
  });
});
