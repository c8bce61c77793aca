/**
 * The gate judges the health signals end to end (issue 20, docs/health.md): hourly `fleet --record file:…
 * --at T` runs of the CLI over 1,000 real HTTP nodes on 127.0.0.1 answering real FluxOS's `/flux/info` shape
 * (error envelopes included, the recipe's `/flux/preprod`), then the real `gate --history … --at T`, through
 * the CLI's own entry point. A release that empties `apps.runningapps` on 5% of its nodes while they keep
 * answering halts, by `signal.apps.lower` alone; the same fleet without it is promoted after the soak.
 *
 * The fleet is 1,000 nodes with 40% on the release (~400 nodes), so the gate's `--config` is scaled to it,
 * on the promote side only (what halts is the defaults'):
 * - `minSoakHours` 16: every release node's 12-hour after-window (docs/health.md) has passed by then, and
 *   the test records 31 hours instead of the 72 + 12 of the defaults;
 * - `minNodeHours` 3000: ~400 nodes × 16 h, where the default 5,000 fits a 13,000-node fleet;
 * - every signal's promote `margin` 0.05: with α = 0.01 over 8 signals × 7 strata an always-valid upper
 *   bound of 1 point needs well over 1,000 release nodes; ~400 show about 3–5 points. The halt margins, the
 *   alpha and the strata are the defaults.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cliInProcess } from '../support/inProcessCli';
import { SIGNAL_RULES } from '../../src/health/signalRules';
import { RELEASE, startFluxInfoFleet, type FluxInfoFleet } from '../support/fluxInfoFleet';
import { makeTempDir } from '../support/tmp';

const NODES = 1000;
const PUSH_HOUR = 12;
const HOURS = 31;
const SOAK_HOURS = 16;
const GATE = {
  minSoakHours: SOAK_HOURS,
  minNodeHours: 3000,
  signals: Object.fromEntries(SIGNAL_RULES.map((rule) => [rule.name, { margin: 0.05 }])),
};

const iso = (hour: number) => new Date(Date.UTC(2026, 2, 1, hour)).toISOString();

const cli = cliInProcess;

interface Judged {
  code: number;
  verdict: string;
  release: { version: string; commit: string };
  criteria: { name: string; met: boolean; value: number | null; threshold: number }[];
  blocking: { criterion: string; why: string }[];
  signals: {
    note: string | null;
    unreported: string[];
    signals: { name: string; halt: boolean; strata: { stratum: string; judged: boolean; estimate: number }[] }[];
  };
}

describe('gate judges the health signals of hourly recorded scans (real HTTP nodes, FluxOS shapes)', function () {
  this.timeout(900_000);
  let fleet: FluxInfoFleet;
  let tmp: ReturnType<typeof makeTempDir>;
  const store = (name: string) => `file:${path.join(tmp.dir, `${name}.history`)}`;

  async function gate(name: string, hour: number, ...extra: string[]) {
    const config = path.join(tmp.dir, 'gate.json');
    return cli(['gate', '--history', store(name), '--at', iso(hour), '--config', config, ...extra]);
  }
  async function judged(name: string, hour: number): Promise<Judged> {
    const run = await gate(name, hour, '--json');
    expect(run.stderr).to.equal('');
    return { code: run.code, ...JSON.parse(run.stdout) };
  }
  const unmet = (j: Judged) => j.criteria.filter((c) => !c.met).map((c) => c.name);

  before(async () => {
    tmp = makeTempDir('gate-health-');
    await fs.writeFile(path.join(tmp.dir, 'gate.json'), JSON.stringify({ gate: GATE }));
    fleet = await startFluxInfoFleet({ nodes: NODES, releaseShare: 0.4, pushAt: PUSH_HOUR, seed: 2020 });
    const targets = path.join(tmp.dir, 'targets');
    await fs.writeFile(targets, `${fleet.targets.join('\n')}\n`);
    // Both histories hour by hour: the same fleet, with and without the harm.
    for (let hour = 0; hour < HOURS; hour += 1) {
      fleet.hour = hour;
      for (const name of ['harm', 'healthy']) {
        fleet.harm = name === 'harm';
        const run = await cli([
          'fleet',
          '--targets',
          targets,
          '--timeout',
          '30000',
          '--record',
          store(name),
          '--at',
          iso(hour),
        ]);
        expect(run.code, run.stderr).to.equal(0);
      }
    }
  });
  after(async () => {
    await fleet?.close();
    tmp?.remove();
  });

  it('the fleet is what the test says: ~400 release nodes, 5% of them harmed', () => {
    expect(fleet.releaseNodes).to.be.within(360, 440);
    expect(fleet.harmedNodes / fleet.releaseNodes).to.be.within(0.03, 0.07);
  });

  it('a release that stops hosting apps on 5% of its nodes halts, by signal.apps.lower alone', async () => {
    const j = await judged('harm', HOURS - 1);
    expect([j.verdict, j.code]).to.deep.equal(['halt', 1]);
    expect(j.release).to.deep.include(RELEASE);
    expect(unmet(j).filter((name) => name.endsWith('.lower'))).to.deep.equal(['signal.apps.lower']);
    const apps = j.signals.signals.find((s) => s.name === 'apps');
    expect(apps?.halt).to.equal(true);
    expect(apps?.strata.find((s) => s.stratum === 'all')?.estimate).to.be.within(0.03, 0.08);
    // The figures reach every report form, with the signal's label.
    const text = await gate('harm', HOURS - 1);
    expect(text.stdout).to.match(/signal\.apps\.lower\s+HALT/);
    expect(text.stdout).to.match(/apps\s.*runs at least one app/);
  });

  it('the same fleet without the harm: wait during the soak, promote after it, every signal met', async () => {
    // Before any release node's 12-hour after-window has passed, the signals say what they wait for.
    const early = await judged('healthy', PUSH_HOUR + 8);
    const apps = early.blocking.find((b) => b.criterion === 'signal.apps.upper');
    expect(apps?.why).to.match(/^no release node has an outcome yet/);
    const during = await judged('healthy', PUSH_HOUR + SOAK_HOURS - 2);
    expect([during.verdict, during.code]).to.deep.equal(['wait', 3]);
    expect(unmet(during)).to.include('exposure.soak-hours');
    const after = await judged('healthy', HOURS - 1);
    expect([after.verdict, after.code], JSON.stringify(unmet(after))).to.deep.equal(['promote', 0]);
    const signals = after.criteria.filter((c) => c.name.startsWith('signal.'));
    expect(signals.map((c) => c.name)).to.deep.equal(
      SIGNAL_RULES.flatMap((r) => [`signal.${r.name}.upper`, `signal.${r.name}.lower`]),
    );
    expect(signals.every((c) => c.met)).to.equal(true);
    expect([after.signals.note, after.signals.unreported]).to.deep.equal([null, []]);
  });
});
