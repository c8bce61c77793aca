import { expect } from 'chai';
import {
  MAX_COUNT,
  NO_SIGNALS,
  blockLags,
  degradedClass,
  isoSeconds,
  readSignals,
  uptimeSeconds,
} from '../../../src/health/signals';

/** `data` of a real FluxOS v8.17.0 `/flux/info` (getFluxInfo() in ZelBack/src/services/fluxService.js), trimmed. */
function realData(): Record<string, any> {
  return {
    daemon: { info: { version: 9000050, protocolversion: 170020, blocks: 1_912_345, connections: 16 } },
    node: { status: { status: 'CONFIRMED', collateral: 'COutPoint(abc, 0)', tier: 'CUMULUS', ip: '203.0.113.7' } },
    benchmark: {
      info: { version: '6.1.0', rpcport: 16224 },
      status: { status: 'online', benchmarking: 'CUMULUS', flux: 'connected' },
      bench: { status: 'CUMULUS', time: 1796580000, cores: 4, ram: 8, ssd: 220, eps: 412.3 },
    },
    flux: {
      version: '8.17.0',
      nodeJsVersion: '20.19.0',
      ip: '203.0.113.7:16127',
      staticIp: true,
      development: false,
      explorerScannedHeigth: 1_912_340,
      numberOfConnectionsOut: 14,
      numberOfConnectionsIn: 9,
      preProdNode: false,
      preProd: { mode: 'production', reason: 'not-selected', bootedAt: '2026-12-06T18:00:00.000Z' },
    },
    apps: { fluxusage: 1.2, runningapps: [{ Names: ['/fluxwordpress'] }, { Names: ['/fluxkadena'] }], resources: {} },
    geolocation: { ip: '203.0.113.7', country: 'Germany', countryCode: 'DE', org: 'Hetzner Online GmbH' },
  };
}

describe('health signals', () => {
  describe('readSignals', () => {
    it('reads a real /flux/info shape', () => {
      expect(readSignals(realData())).to.deep.equal({
        confirmed: true,
        benchmarkPassing: true,
        runningApps: 2,
        peersIn: 9,
        peersOut: 14,
        blocks: 1_912_345,
        arcane: false,
        provider: 'Hetzner Online GmbH',
        country: 'DE',
        bootedAt: Date.parse('2026-12-06T18:00:00Z') / 1000,
        degraded: null,
      });
    });

    it('reads ArcaneOS, an unconfirmed node and a failed benchmark', () => {
      const data = realData();
      data.flux.arcaneVersion = '1.4.2';
      data.node.status.status = 'EXPIRED';
      data.benchmark.bench.status = 'failed';
      expect(readSignals(data)).to.include({ arcane: true, confirmed: false, benchmarkPassing: false });
    });

    it('falls back to benchmark.status.benchmarking without benchmark.bench', () => {
      const data = realData();
      delete data.benchmark.bench;
      data.benchmark.status.benchmarking = 'toaster';
      expect(readSignals(data).benchmarkPassing).to.equal(false);
    });

    const hostile: [string, (data: Record<string, any>) => void, Record<string, unknown>][] = [
      ['negative peers', (d) => (d.flux.numberOfConnectionsIn = -3), { peersIn: null }],
      ['fractional peers', (d) => (d.flux.numberOfConnectionsOut = 2.5), { peersOut: null }],
      ['a billion peers', (d) => (d.flux.numberOfConnectionsIn = 1e9), { peersIn: MAX_COUNT }],
      ['peers as a string', (d) => (d.flux.numberOfConnectionsIn = '12'), { peersIn: null }],
      ['a height past 2^31', (d) => (d.daemon.info.blocks = 2 ** 40), { blocks: null }],
      ['a height of NaN-ish text', (d) => (d.daemon.info.blocks = 'NaN'), { blocks: null }],
      ['runningapps as an object', (d) => (d.apps.runningapps = { length: 5 }), { runningApps: null }],
      ['100,000 running apps', (d) => (d.apps.runningapps = new Array(100_000).fill(0)), { runningApps: MAX_COUNT }],
      ['a status as an object', (d) => (d.node.status.status = { toString: 'CONFIRMED' }), { confirmed: null }],
      ['an empty arcaneVersion', (d) => (d.flux.arcaneVersion = ''), { arcane: false }],
      ['an arcaneVersion that is true', (d) => (d.flux.arcaneVersion = true), { arcane: false }],
      ['a lowercase country code', (d) => (d.geolocation.countryCode = 'de'), { country: null }],
      ['a country code of __proto__', (d) => (d.geolocation.countryCode = '__proto__'), { country: null }],
      ['a provider with escapes', (d) => (d.geolocation.org = '\u001b[2J\nEvil'), { provider: '?[2J?Evil' }],
      ['a megabyte provider', (d) => (d.geolocation.org = 'x'.repeat(1_000_000)), { provider: 'x'.repeat(40) }],
      ['a bootedAt that is not ISO', (d) => (d.flux.preProd.bootedAt = 'yesterday'), { bootedAt: null }],
      ['a bootedAt as a number', (d) => (d.flux.preProd.bootedAt = 1796580000), { bootedAt: null }],
    ];
    for (const [name, spoil, expected] of hostile) {
      it(`keeps a bad field out: ${name}`, () => {
        const data = realData();
        spoil(data);
        expect(readSignals(data)).to.include(expected);
      });
    }

    it('reads own properties only: signals on the prototype chain are not believed', () => {
      const data = JSON.parse('{"node":{"__proto__":{"status":{"status":"CONFIRMED"}}},"flux":{}}') as unknown;
      expect(readSignals(data).confirmed).to.equal(null);
      expect(({} as Record<string, unknown>).status).to.equal(undefined);
    });

    for (const value of [null, 42, 'text', [], [realData()]]) {
      it(`gives nothing known for data = ${JSON.stringify(value)?.slice(0, 20)}`, () => {
        expect(readSignals(value)).to.deep.equal(NO_SIGNALS);
      });
    }
  });

  describe('degradedClass', () => {
    const cases: [unknown, string][] = [
      [{ code: -28, name: 'RPCError', message: 'Loading block index...' }, 'daemon'],
      [{ code: 500, message: 'connect ECONNREFUSED 127.0.0.1:16224 fluxbenchd' }, 'benchmark'],
      [{ name: 'Error', message: 'connect ENOENT /var/run/docker.sock' }, 'docker'],
      [{ name: 'MongoServerSelectionError', message: 'connect ECONNREFUSED 127.0.0.1:27017' }, 'database'],
      [{ message: 'Syncthing is not running' }, 'apps'],
      [{ message: 'getaddrinfo EAI_AGAIN api.runonflux.io' }, 'network'],
      [{ message: 'something else broke' }, 'other'],
      [{ message: { nested: 'daemon' } }, 'other'],
      [null, 'other'],
      [{ message: `${'x'.repeat(10_000)} daemon` }, 'other'],
    ];
    for (const [data, expected] of cases) {
      it(`puts ${JSON.stringify(data)?.slice(0, 60)} in ${expected}`, () => {
        expect(degradedClass(data)).to.equal(expected);
      });
    }
  });

  describe('blockLags', () => {
    it('measures each node against the median, never negative', () => {
      expect(blockLags([100, 98, null, 100, 105, 60])).to.deep.equal([0, 2, null, 0, 0, 40]);
    });
    it('cannot be moved far by a few nodes lying about their height', () => {
      const honest = Array.from({ length: 95 }, () => 1000);
      const liars = Array.from({ length: 5 }, () => 2 ** 31 - 1);
      expect(blockLags([...honest, ...liars]).slice(0, 95)).to.deep.equal(honest.map(() => 0));
    });
    it('knows nothing without heights', () => {
      expect(blockLags([null, null])).to.deep.equal([null, null]);
    });
  });

  it('isoSeconds and uptimeSeconds', () => {
    expect(isoSeconds('2026-12-06T18:00:00.500Z')).to.equal(Date.parse('2026-12-06T18:00:00Z') / 1000);
    expect(isoSeconds('2026-12-06T18:00:00+01:00')).to.equal(null);
    expect(uptimeSeconds({ bootedAt: 1000 }, 4600)).to.equal(3600);
    expect(uptimeSeconds({ bootedAt: 5000 }, 4600)).to.equal(null);
    expect(uptimeSeconds({ bootedAt: null }, 4600)).to.equal(null);
  });
});
