/**
 * The health judgement end to end, short of the gate (docs/health.md): hourly scans of real HTTP nodes on
 * 127.0.0.1 answering real FluxOS's `/flux/info` shape (v8.17.0 getFluxInfo(), error envelopes included,
 * and the recipe's `/flux/preprod`), read by the real scanner, kept in a HealthLedger, judged by every
 * signal. A release that empties `apps.runningapps` on 5% of its nodes halts, by the apps signal; the same
 * fleet without it does not halt. The fleet is test/support/fluxInfoFleet.ts, the one the gate's own
 * health test scans; its hours are this test's scans: the statistics take the look as a scan.
 */
import { expect } from 'chai';
import { scanFleet } from '../../src/fleet/scan';
import { HealthLedger, judgeHealth } from '../../src/health/ledger';
import { RELEASE, startFluxInfoFleet, type FluxInfoFleet } from '../support/fluxInfoFleet';

const SCANS = 30;

describe('health judgement over hourly scans of real HTTP nodes (real FluxOS /flux/info shapes)', function () {
  this.timeout(600_000);
  let fleet: FluxInfoFleet;

  before(async () => {
    fleet = await startFluxInfoFleet({ nodes: 1000, releaseShare: 0.4, pushAt: 12, seed: 2020 });
  });
  after(async () => {
    await fleet?.close();
  });

  async function record(withHarm: boolean): Promise<HealthLedger> {
    fleet.harm = withHarm;
    const targets = fleet.targets.map((target) => {
      const [host, port] = target.split(':');
      return { host, port: Number(port) };
    });
    const ledger = new HealthLedger(RELEASE.commit);
    for (let scan = 0; scan < SCANS; scan += 1) {
      fleet.hour = scan;
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
