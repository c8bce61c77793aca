/**
 * The gate end to end: a local fleet of 300 nodes on 127.0.0.1 plays a
 * release over 4 simulated days; every hour `fleet --targets … --record
 * file:… --at T` scans it over real HTTP and `gate --history … --json`
 * judges it, both through the CLI's own entry point (the code path of the
 * `fluxos-preprod` binary, in-process to keep 2 × 96 runs fast); the final
 * verdicts are checked again in real CLI processes.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cliInProcess } from '../support/inProcessCli';
import { describeRun, runCli } from '../support/cli';
import { makeTempDir } from '../support/tmp';
import { startReleaseFleet, type NodeInfo, type ReleaseFleet } from './gateFleet';

const NODES = 300;
const PROBABILITY = 0.5;
const HOURS = 96;
const PUSH_HOUR = 2;
/** The first node pulls the release one hour after the push; that scan is where it reaches preprod. */
const REACHED_HOUR = PUSH_HOUR + 1;
const SOAK_HOURS = 72;

const MASTER = { version: '1.0.0', commit: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' };
const OLD = { version: '1.1.0', commit: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' };
const RELEASE = { version: '1.2.0', commit: 'c0ffee1234c0ffee1234c0ffee1234c0ffee1234' };

const iso = (hour: number) => new Date(Date.UTC(2026, 2, 1, hour)).toISOString();
/** Ceilings and margin for 150 release nodes: the defaults need thousands (docs/gate.md, "Which harm"). */
const GATE = {
  maxCrashLoopShare: 0.04,
  crashLoopHaltShare: 0.04,
  maxSwitchFailShare: 0.04,
  darkMargin: 0.04,
  darkHaltMargin: 0.04,
  darkStratumHaltMargin: 0.04,
  earlyDarkMargin: 0.04,
  // The history starts 3 h before the release reaches preprod: nodes have run the old release that long.
  steadyHours: 2,
};
const config = (dir: string) => path.join(dir, 'gate.json');
/** Judged as of the last scan (its age is 0), with the thresholds above. */
const judgeArgs = (store: string, dir: string, hour = HOURS - 1) => [
  'gate',
  '--history',
  store,
  '--at',
  iso(hour),
  '--config',
  config(dir),
];

/** Node i at `hour`: the first half is selected; each selected node pulls the release 1–4 h after the push. */
function nodeAt(i: number, hour: number, kind: 'healthy' | 'crash-loop'): NodeInfo | null {
  // About 1% of nodes miss any one scan (timeouts): never 3 in a row, so nobody goes dark.
  if ((i * 7 + hour * 13) % 101 === 0) return null;
  const draw = (i + 0.5) / NODES;
  const base = { draw, probability: PROBABILITY };
  if (draw >= PROBABILITY) return { ...base, ...MASTER, mode: 'production', reason: 'not-selected' };
  const updateHour = PUSH_HOUR + 1 + (i % 4);
  if (hour < updateHour) return { ...base, ...OLD, mode: 'preprod', reason: 'selected' };
  if (kind === 'crash-loop' && i % 10 === 0) {
    // 10% of the nodes crash at every boot on the release: silent while they loop, then back on master.
    return hour === updateHour ? null : { ...base, ...MASTER, mode: 'production', reason: 'crash-loop' };
  }
  return { ...base, ...RELEASE, mode: 'preprod', reason: 'selected' };
}

const cli = cliInProcess;

interface Hourly {
  hour: number;
  code: number;
  verdict: string;
}

async function playRelease(
  fleet: ReleaseFleet,
  dir: string,
  kind: 'healthy' | 'crash-loop',
): Promise<{ store: string; hours: Hourly[] }> {
  const targets = path.join(dir, `${kind}.targets`);
  await fs.writeFile(targets, `${fleet.targets.join('\n')}\n`);
  const store = `file:${path.join(dir, `${kind}.history`)}`;
  const hours: Hourly[] = [];
  for (let hour = 0; hour < HOURS; hour += 1) {
    for (let i = 0; i < NODES; i += 1) fleet.states[i] = nodeAt(i, hour, kind);
    const record = await cli([
      'fleet',
      '--targets',
      targets,
      '--timeout',
      '5000',
      '--record',
      store,
      '--at',
      iso(hour),
      '--json',
    ]);
    expect(record.code, record.stderr).to.equal(0);
    expect(JSON.parse(record.stdout).asked).to.equal(NODES);
    const gate = await cli(['gate', '--history', store, '--at', iso(hour), '--config', config(dir), '--json']);
    hours.push({ hour, code: gate.code, verdict: JSON.parse(gate.stdout).verdict });
  }
  return { store, hours };
}

describe('gate end to end: 4 days of hourly scans of a local fleet', function () {
  this.timeout(600_000);
  let fleet: ReleaseFleet;
  let tmp: ReturnType<typeof makeTempDir>;
  before(async () => {
    tmp = makeTempDir('gate-release-');
    await fs.writeFile(config(tmp.dir), JSON.stringify({ gate: GATE }));
    fleet = await startReleaseFleet(Array.from({ length: NODES }, (_, i) => nodeAt(i, 0, 'healthy') as NodeInfo));
  });
  after(async () => {
    await fleet.close();
    tmp.remove();
  });

  it('a healthy release: wait (exit 3) during the soak, promote (exit 0) after it', async () => {
    const { store, hours } = await playRelease(fleet, tmp.dir, 'healthy');
    const soaking = hours.filter((h) => h.hour < REACHED_HOUR + SOAK_HOURS);
    const soaked = hours.filter((h) => h.hour >= REACHED_HOUR + SOAK_HOURS);
    expect(soaking.map((h) => [h.verdict, h.code])).to.deep.equal(soaking.map(() => ['wait', 3]));
    expect(soaked.length).to.be.greaterThan(10);
    expect(soaked.map((h) => [h.verdict, h.code])).to.deep.equal(soaked.map(() => ['promote', 0]));

    // The same answers from the installed binary, replaying the history with --at.
    const final = await runCli([...judgeArgs(store, tmp.dir), '--json']);
    expect(final.code, describeRun(final)).to.equal(0);
    const json = JSON.parse(final.stdout);
    expect(json.verdict).to.equal('promote');
    expect(json.release).to.deep.include({ version: RELEASE.version, commit: RELEASE.commit });
    // Promoted at the end of the soak; later looks keep it (no halting criterion unmet).
    expect(
      json.criteria.filter((c: { met: boolean; name: string }) => !c.met && c.name.endsWith('.lower')),
    ).to.deep.equal([]);
    const during = await runCli([...judgeArgs(store, tmp.dir, REACHED_HOUR + SOAK_HOURS - 1), '--json']);
    expect(during.code, describeRun(during)).to.equal(3);
    const soak = JSON.parse(during.stdout).criteria.find((c: { name: string }) => c.name === 'exposure.soak-hours');
    expect(soak).to.deep.equal({
      name: 'exposure.soak-hours',
      met: false,
      value: SOAK_HOURS - 1,
      threshold: SOAK_HOURS,
    });
  });

  it('a release that crash-loops 10% of its nodes: halt (exit 1) within 24 hours of reaching preprod', async () => {
    const { store, hours } = await playRelease(fleet, tmp.dir, 'crash-loop');
    const first = hours.find((h) => h.verdict !== 'wait');
    expect(first?.verdict).to.equal('halt');
    expect((first as Hourly).hour - REACHED_HOUR).to.be.at.most(24);
    console.log(`      (halted ${(first as Hourly).hour - REACHED_HOUR} h after the release reached preprod)`);
    const after = hours.filter((h) => h.hour >= (first as Hourly).hour);
    expect(after.map((h) => [h.verdict, h.code])).to.deep.equal(after.map(() => ['halt', 1]));

    const final = await runCli([...judgeArgs(store, tmp.dir), '--json']);
    expect(final.code, describeRun(final)).to.equal(1);
    const json = JSON.parse(final.stdout);
    expect(json.verdict).to.equal('halt');
    // The halt stands (haltedAt); the look that made it shows the crash-loop bound beyond the ceiling.
    const halting = await runCli([...judgeArgs(store, tmp.dir, (first as Hourly).hour), '--json']);
    const crash = JSON.parse(halting.stdout).criteria.find(
      (c: { name: string }) => c.name === 'health.crash-loop.lower',
    );
    expect(crash.met).to.equal(false);
    expect(crash.value).to.be.greaterThan(crash.threshold);
    const markdown = await runCli([...judgeArgs(store, tmp.dir), '--markdown']);
    expect(markdown.code, describeRun(markdown)).to.equal(1);
    expect(markdown.stdout).to.match(/\| 127\.0\.0\.1:\d+ \| crash-loop \|/);
  });
});
