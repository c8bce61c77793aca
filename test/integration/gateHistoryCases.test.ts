/**
 * Hand-built histories (docs/gate.md, issue 17): a local fleet of real HTTP
 * nodes on 127.0.0.1 is scanned hourly with `fleet --record file:… --at T`
 * and judged with `gate --history … --at T`, through the CLI's own entry
 * point. Steady churn → promote after the soak; a recorder gap with harm
 * inside it → no promote, then halt; a same-version hotfix → its own soak.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cliInProcess } from '../support/inProcessCli';
import { makeTempDir } from '../support/tmp';
import { startReleaseFleet, type NodeInfo, type ReleaseFleet } from './gateFleet';

const NODES = 120;
const PROBABILITY = 0.5;
const PUSH_HOUR = 13;
const SOAK_HOURS = 24;
const OLD = { version: '1.1.0', commit: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' };
const MASTER = { version: '1.0.0', commit: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' };
const RELEASE = { version: '1.2.0', commit: 'c0ffee1234c0ffee1234c0ffee1234c0ffee1234' };
const HOTFIX = { version: '1.2.0', commit: 'f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1' };
/** Thresholds for 60 release nodes: the defaults need a fleet of thousands (docs/gate.md). */
const GATE = {
  minSoakHours: SOAK_HOURS,
  minPreprodNodes: 40,
  minNodeHours: 500,
  maxCrashLoopShare: 0.15,
  crashLoopHaltShare: 0.15,
  maxSwitchFailShare: 0.15,
  darkMargin: 0.15,
  darkHaltMargin: 0.15,
  darkStratumHaltMargin: 0.15,
  earlyDarkMargin: 0.15,
  // The nodes serve no health fields but the scanner's own answer time and "not degraded" (the others are
  // not judged, never reported): 60 release nodes show those within ~16 points, not the defaults' 1–2.
  signals: { answer: { margin: 0.2 }, degraded: { margin: 0.2 } },
};

const iso = (hour: number) => new Date(Date.UTC(2026, 2, 1, hour)).toISOString();

type Scenario = 'churn' | 'gap' | 'hotfix';

/** Steady churn in both cohorts: scattered missed scans, and 5% of nodes in a 5-hour outage at some point. */
function churnSilent(i: number, hour: number): boolean {
  const outageFrom = 8 + (i % 7) * 6;
  return (i * 7 + hour * 13) % 29 === 0 || (i % 20 === 3 && hour >= outageFrom && hour < outageFrom + 5);
}

function nodeAt(i: number, hour: number, scenario: Scenario): NodeInfo | null {
  if (churnSilent(i, hour)) return null;
  const draw = (i + 0.5) / NODES;
  const base = { draw, probability: PROBABILITY };
  if (draw >= PROBABILITY) return { ...base, ...MASTER, mode: 'production', reason: 'not-selected' };
  // Harm inside the recorder gap: half the release nodes hang from hour 30 on.
  if (scenario === 'gap' && i % 2 === 1 && hour >= 30) return null;
  const hotfixHour = 27 + (i % 3);
  if (scenario === 'hotfix' && hour >= hotfixHour) return { ...base, ...HOTFIX, mode: 'preprod', reason: 'selected' };
  const release = hour >= PUSH_HOUR + 1 + (i % 3);
  return { ...base, ...(release ? RELEASE : OLD), mode: 'preprod', reason: 'selected' };
}

const cli = cliInProcess;

interface Judged {
  code: number;
  verdict: string;
  release: { version: string; commit: string };
  criteria: { name: string; met: boolean; value: number | null }[];
}

class Recorder {
  constructor(
    private readonly fleet: ReleaseFleet,
    private readonly dir: string,
    private readonly scenario: Scenario,
  ) {}

  get store(): string {
    return `file:${path.join(this.dir, `${this.scenario}.history`)}`;
  }

  async hours(from: number, to: number): Promise<void> {
    const targets = path.join(this.dir, `${this.scenario}.targets`);
    await fs.writeFile(targets, `${this.fleet.targets.join('\n')}\n`);
    for (let hour = from; hour < to; hour += 1) {
      for (let i = 0; i < NODES; i += 1) this.fleet.states[i] = nodeAt(i, hour, this.scenario);
      const args = ['fleet', '--targets', targets, '--timeout', '5000', '--record', this.store, '--at', iso(hour)];
      const run = await cli(args);
      expect(run.code, run.stderr).to.equal(0);
    }
  }

  async gate(hour: number, ...extra: string[]): Promise<Judged> {
    const run = await cli(['gate', '--history', this.store, '--at', iso(hour), '--config', this.config, ...extra]);
    return { code: run.code, ...JSON.parse(run.stdout) };
  }

  get config(): string {
    return path.join(this.dir, 'gate.json');
  }
}

const soakOf = (j: Judged) => j.criteria.find((c) => c.name === 'exposure.soak-hours')?.value;

describe('gate on hand-built histories of a local fleet', function () {
  this.timeout(600_000);
  let fleet: ReleaseFleet;
  let tmp: ReturnType<typeof makeTempDir>;
  before(async () => {
    tmp = makeTempDir('gate-cases-');
    await fs.writeFile(path.join(tmp.dir, 'gate.json'), JSON.stringify({ gate: GATE }));
    fleet = await startReleaseFleet(Array.from({ length: NODES }, (_, i) => nodeAt(i, 0, 'churn') ?? ({} as NodeInfo)));
  });
  after(async () => {
    await fleet.close();
    tmp.remove();
  });

  it('steady churn in both cohorts: wait during the soak, promote after it', async () => {
    const r = new Recorder(fleet, tmp.dir, 'churn');
    await r.hours(0, PUSH_HOUR + 2 + SOAK_HOURS + 4);
    const reached = PUSH_HOUR + 1;
    const during = await r.gate(reached + SOAK_HOURS - 1, '--json');
    expect([during.verdict, during.code]).to.deep.equal(['wait', 3]);
    const after = await r.gate(reached + SOAK_HOURS + 3, '--json');
    expect([after.verdict, after.code], JSON.stringify(after.criteria)).to.deep.equal(['promote', 0]);
    expect(after.release).to.deep.include(RELEASE);
    // Judged by the signals these nodes carry; the others have no production baseline and are left out.
    const signals = after.criteria.map((c) => c.name).filter((name) => name.startsWith('signal.'));
    expect(signals).to.deep.equal([
      'signal.answer.upper',
      'signal.answer.lower',
      'signal.degraded.upper',
      'signal.degraded.lower',
    ]);
  });

  it('a recorder gap with harm inside it: no promote after the gap, then halt', async () => {
    const r = new Recorder(fleet, tmp.dir, 'gap');
    await r.hours(0, 21);
    await r.hours(45, 60); // the recorder was down from hour 21 to 44; half the release nodes hung at 30
    const verdicts: string[] = [];
    for (let hour = 45; hour < 60; hour += 1) verdicts.push((await r.gate(hour, '--json')).verdict);
    expect(verdicts).to.not.include('promote');
    expect(verdicts.slice(0, 3)).to.deep.equal(['wait', 'wait', 'wait']);
    expect(verdicts.at(-1)).to.equal('halt');
    // Watched soak: hours 14–20 before the gap and 45–59 after it; the 24-hour gap is not soak.
    const last = await r.gate(59, '--json');
    expect(soakOf(last)).to.be.below(SOAK_HOURS);
  });

  it('a same-version hotfix on a new commit is judged as its own release, with its own soak', async () => {
    const r = new Recorder(fleet, tmp.dir, 'hotfix');
    await r.hours(0, 56);
    const judged = await r.gate(45, '--json');
    expect(judged.release).to.deep.include(HOTFIX);
    // The hotfix reached preprod at hour 27 (a quorum of 5 nodes on it): 18 watched hours, not the 31 of 1.2.0.
    expect([judged.verdict, soakOf(judged)]).to.deep.equal(['wait', 45 - 27]);
    const first = await r.gate(45, '--json', '--release', RELEASE.commit.slice(0, 10));
    expect(first.release).to.deep.include(RELEASE);
    expect(first.verdict).to.not.equal('promote');
    const later = await r.gate(55, '--json');
    expect([later.verdict, later.code]).to.deep.equal(['promote', 0]);
  });
});
