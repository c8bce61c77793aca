import { expect } from 'chai';
import type { NodeResult } from '../../../src/fleet/classify';
import { BAD, GOOD, UNKNOWN } from '../../../src/health/didStats';
import { HealthLedger, judgeHealth } from '../../../src/health/ledger';
import { SIGNAL_RULES } from '../../../src/health/signalRules';
import { NO_SIGNALS, type HealthSignals } from '../../../src/health/signals';

const rule = (name: string) => SIGNAL_RULES.find((r) => r.name === name) ?? SIGNAL_RULES[0];

function result(
  port: number,
  kind: NodeResult['kind'],
  health: Partial<HealthSignals>,
  extra: Partial<NodeResult> = {},
) {
  return { host: '127.0.0.1', port, kind, ms: 50, health: { ...NO_SIGNALS, ...health }, ...extra } as NodeResult;
}

describe('HealthLedger', () => {
  it('marks a node on the release from the first scan it reports the commit as preprod, degraded or not', () => {
    const ledger = new HealthLedger('new');
    const scan = (commitA: string, degradedB: boolean) => [
      result(1, 'preprod', { runningApps: 2 }, { commit: commitA }),
      degradedB
        ? result(2, 'degraded', { degraded: 'daemon' }, { state: 'preprod', commit: 'new' })
        : result(2, 'preprod', { runningApps: 1 }, { commit: 'old' }),
      result(3, 'production', { runningApps: 1 }, { commit: 'new' }),
      { host: '127.0.0.1', port: 4, kind: 'timeout', ms: 5000 } as NodeResult,
    ];
    ledger.addScan(scan('old', false));
    ledger.addScan(scan('new', false));
    ledger.addScan(scan('new', true));
    const nodes = ledger.healthNodes(rule('apps'));
    expect(nodes.map((n) => n.releaseAt)).to.deep.equal([1, 2, null]);
    expect(ledger.scanCount).to.equal(3);
  });

  it('gives each signal a series with unknown where the node did not answer, and keeps the provider', () => {
    const ledger = new HealthLedger('x');
    ledger.addScan([result(1, 'production', { runningApps: 3, provider: 'OVH SAS', arcane: true })]);
    ledger.addScan([]);
    ledger.addScan([result(1, 'degraded', { degraded: 'docker' })]);
    ledger.addScan([result(1, 'production', { runningApps: 0, arcane: true })]);
    const [apps] = ledger.healthNodes(rule('apps'));
    expect([...apps.series]).to.deep.equal([GOOD, UNKNOWN, UNKNOWN, BAD]);
    expect(apps).to.include({ provider: 'OVH SAS', arcane: true });
    const [degraded] = ledger.healthNodes(rule('degraded'));
    expect([...degraded.series]).to.deep.equal([GOOD, UNKNOWN, BAD, GOOD]);
  });

  it('measures block lag against the scan median', () => {
    const ledger = new HealthLedger('x');
    ledger.addScan([
      result(1, 'production', { blocks: 1000 }),
      result(2, 'production', { blocks: 1000 }),
      result(3, 'production', { blocks: 900 }),
    ]);
    const sync = ledger.healthNodes(rule('sync')).map((n) => n.series[0]);
    expect(sync).to.deep.equal([GOOD, GOOD, BAD]);
  });

  it('judgeHealth: the signals asked for, alpha split equally across them', () => {
    const ledger = new HealthLedger('x');
    ledger.addScan([result(1, 'production', { runningApps: 1 })]);
    const judgement = judgeHealth(ledger, { signals: ['apps', 'restarts'], alpha: 0.01 });
    expect(judgement.signals.map((s) => s.name)).to.deep.equal(['apps', 'restarts']);
    expect(judgement.signals[0].judgement.alphaPerStratum).to.be.closeTo(0.005 / 7, 1e-15);
    expect(judgement).to.include({ halt: false, notWorse: false });
  });
});
