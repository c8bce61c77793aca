/**
 * What `fleet watch` serves when there is no verdict to serve (issue 17
 * "evaluation-error counter", issue 18 §5): a gate that throws is counted and
 * said, the /gate.* endpoints answer 503 instead of a stale verdict, the
 * badge says error. Real HTTP on 127.0.0.1; the fault is injected by a judge
 * that throws.
 */
import { expect } from 'chai';
import * as http from 'node:http';
import { judgeNow } from '../../src/cli/commands/fleetWatch';
import { serveWatch, type ServedGate, type WatchServer } from '../../src/cli/commands/watchServer';
import { aggregate } from '../../src/fleet/aggregate';
import type { NodeResult } from '../../src/fleet/classify';
import { createWatchMetrics } from '../../src/gate/report/metrics';
import { gateReportFixture } from '../support/gateReportFixture';

function request(url: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject).end();
  });
}

describe('fleet watch endpoints without a verdict', () => {
  let server: WatchServer;
  let base: string;
  const metrics = createWatchMetrics();
  const stderr: string[] = [];
  const watcher = {
    scans: [],
    metrics,
    io: { stderr: { write: (text: string) => stderr.push(text) } } as never,
    judge: (): never => {
      throw new Error('Expected `successes` to be an integer in 0..6, got 7');
    },
    served: { report: null, problem: 'No verdict yet: the history has no scan.', failed: false } as ServedGate,
  };
  before(async () => {
    server = await serveWatch(metrics.registry, () => watcher.served, 0, '127.0.0.1');
    base = server.url.replace(/\/metrics$/, '');
  });
  after(() => server.close());

  it('a judge that throws is counted, said in one line, and nothing is served as a verdict', async () => {
    expect(judgeNow(watcher)).to.equal(null);
    expect(stderr).to.deep.equal([
      'fluxos-preprod: The gate could not judge the history: Expected `successes` to be an integer in 0..6, got 7.\n',
    ]);
    expect((await request(`${base}/metrics`)).body).to.match(/^fluxos_preprod_gate_evaluation_errors_total 1$/m);
    const json = await request(`${base}/gate.json`);
    expect(json.status).to.equal(503);
    expect(JSON.parse(json.body).error).to.match(/^The gate could not judge the history: /);
    for (const path of ['/gate.md', '/gate.html']) expect((await request(`${base}${path}`)).status).to.equal(503);
    const badge = await request(`${base}/gate.svg`);
    expect(badge.status).to.equal(200);
    expect(badge.body).to.contain('aria-label="preprod gate: error"');
  });

  it('serves a verdict once there is one; HEAD has no body; other methods and paths are refused', async () => {
    watcher.served = { report: gateReportFixture({ verdict: 'halt' }), problem: '', failed: false };
    const json = await request(`${base}/gate.json`);
    expect(json.status).to.equal(200);
    expect(JSON.parse(json.body).verdict).to.equal('halt');
    expect((await request(`${base}/gate.svg`)).body).to.contain('aria-label="preprod gate: halt"');
    const head = await request(`${base}/gate.json`, 'HEAD');
    expect(head).to.include({ status: 200, body: '' });
    expect((await request(`${base}/gate.json`, 'POST')).status).to.equal(405);
    expect((await request(`${base}/gate.exe`)).status).to.equal(404);
  });
});

describe('fleet watch metrics: fleet_nodes{state}', () => {
  interface Family {
    name: string;
    metrics: { value?: string; labels?: Record<string, string> }[];
  }
  const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Family[];

  it('has a degraded state, so the states add up to the nodes asked (a parser agrees)', async () => {
    const node = (kind: NodeResult['kind'], extra: Partial<NodeResult> = {}): NodeResult =>
      ({ host: '127.0.0.1', port: 1, kind, ms: 1, ...extra }) as NodeResult;
    const results = [
      node('preprod', { version: '8.18.0', reason: 'selected' }),
      node('production', { version: '8.17.0', reason: 'not-selected' }),
      node('degraded', { state: 'preprod' }),
      node('degraded', { state: 'production' }),
      node('degraded'),
      node('timeout'),
    ];
    const metrics = createWatchMetrics();
    metrics.update(aggregate(results, { probability: 0.07 }), null, 1, new Date(0));
    const families = parsePrometheus(await metrics.registry.metrics());
    const states = families.find((f) => f.name === 'fluxos_preprod_fleet_nodes')?.metrics ?? [];
    const byState = Object.fromEntries(states.map((m) => [m.labels?.state, Number(m.value)]));
    expect(byState).to.deep.equal({ preprod: 1, production: 1, unknown: 0, degraded: 3, failed: 1 });
    const asked = Number(families.find((f) => f.name === 'fluxos_preprod_fleet_asked_nodes')?.metrics[0].value);
    expect(states.reduce((sum, m) => sum + Number(m.value), 0)).to.equal(asked);
    expect(asked).to.equal(results.length);
  });
});
