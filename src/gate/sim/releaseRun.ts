/**
 * One seeded run of a release on the simulated fleet: scans from
 * `warmupHours` before the push, each recorded scan's node changes fed to the
 * same evidence tracker and verdict the `gate` command uses, the gate asked
 * after every recorded scan until it halts, promotes (unless asked to keep
 * asking), says inconclusive, or the horizon is reached. Only nodes that had
 * an event or a missed scan are looked at in a scan, so 13,000 nodes cost
 * little.
 */
import { defaultSettings } from '../../config/settings';
import { seededRandom } from '../../cohort/random';
import { changeBetween, EMPTY_STATE, type NodeChange, type NodeState, nextState } from '../history/observation';
import { emptyTotals, type ScanTotals } from '../history/scanRecord';
import { EvidenceTracker } from '../judge/evidence';
import type { GateSettings } from '../judge/gateSettings';
import { type Criterion, judge, type Verdict } from '../judge/verdict';
import { type Disturbances, type FleetAssumptions, NO_DISTURBANCES, type ReleaseScenario } from './assumptions';
import { EPOCH_MS, FleetModel } from './fleetModel';
import { withHealthColumn } from './platform';

const MS_PER_HOUR = 3_600_000;

/** The tracker reads totals only for the HTML timeline, which a simulation does not draw. */
const NO_TOTALS: ScanTotals = Object.freeze(emptyTotals());

export interface RunOutcome {
  /** Hours from the push of the judged release to the scan where it reached preprod; null if it never did. */
  reachedAfterPush: number | null;
  /** The gate's verdict when the run ended (halt, promote, inconclusive, or wait at the horizon). */
  verdict: Verdict;
  /** Hours from reaching preprod to that verdict. */
  hoursAfterReach: number | null;
  /** Hours from reaching preprod to the first halt and the first promote, if any. */
  haltedAfter: number | null;
  promotedAfter: number | null;
  /** Selected nodes on the release and its crash-loop fallbacks and dark nodes at the end. */
  releaseNodes: number;
  crashLoops: number;
  darkRelease: number;
}

interface Clock {
  pushAt: number;
  judgedPushAt: number;
  end: number;
  step: number;
}

function clockOf(a: FleetAssumptions, d: Disturbances, random: () => number): Clock {
  const pushAt = a.warmupHours + random();
  const judgedPushAt = pushAt + (d.followUp?.afterHours ?? 0);
  return { pushAt, judgedPushAt, end: judgedPushAt + a.horizonHours, step: d.scanMinutes / 60 };
}

/**
 * Health simulation (healthRun.ts): called after every recorded scan with the fleet and every node's state
 * as the history has it after that scan; returns the criteria judge() appends at that look.
 */
export type ScanHook = (fleet: FleetModel, hour: number, states: readonly NodeState[]) => Criterion[];

export function runRelease(
  assumptions: FleetAssumptions,
  scenario: ReleaseScenario,
  gate: GateSettings,
  seed: number,
  d: Disturbances = NO_DISTURBANCES,
  hook?: (fleet: FleetModel) => ScanHook,
): RunOutcome {
  const random = seededRandom(seed);
  const settings = {
    ...defaultSettings().preProd,
    probability: assumptions.probability,
    daysToNextEval: assumptions.daysToNextEval,
  };
  const fleet = new FleetModel(assumptions, scenario, settings, random, d);
  const tracker = new EvidenceTracker(fleet.judged, gate);
  const clock = clockOf(assumptions, d, random);
  const scanner = new Scanner(assumptions, fleet, tracker, random);
  const onScan = hook?.(fleet);
  const pushes = [clock.pushAt, ...(d.followUp ? [clock.judgedPushAt] : [])];
  let verdict: Verdict = 'wait';
  let haltedAt: number | null = null;
  let promotedAt: number | null = null;
  for (let k = 0; k * clock.step <= clock.end; k += 1) {
    const hour = k * clock.step;
    while (pushes.length > 0 && hour >= pushes[0]) {
      const at = pushes.shift() as number;
      fleet.advance(at);
      if (at === clock.pushAt) fleet.push(at);
      else fleet.pushFollowUp(at);
    }
    fleet.advance(hour);
    const sincePush = hour - clock.pushAt;
    if (d.recorderGap && sincePush >= d.recorderGap.fromHour && sincePush < d.recorderGap.toHour) continue;
    const s = d.scanner;
    const reached = s !== null && sincePush >= s.atHour && sincePush < s.atHour + s.scans * clock.step;
    scanner.scan(k, hour, reached && s ? s.share : 1);
    const extra = onScan?.(fleet, hour, tracker.table.states) ?? [];
    const evidence = tracker.evidence();
    if (evidence.reachedAt === null) continue;
    verdict = judge(evidence, gate, 0, extra).verdict;
    const after = hour - (Date.parse(evidence.reachedAt) - EPOCH_MS) / MS_PER_HOUR;
    if (verdict === 'promote' && promotedAt === null) promotedAt = after;
    if (verdict === 'halt') haltedAt = after;
    if (verdict === 'halt' || verdict === 'inconclusive' || (verdict === 'promote' && !d.keepAsking)) break;
  }
  return outcome(tracker, clock, verdict, haltedAt, promotedAt);
}

function outcome(
  tracker: EvidenceTracker,
  clock: Clock,
  verdict: Verdict,
  haltedAfter: number | null,
  promotedAfter: number | null,
): RunOutcome {
  const e = tracker.evidence();
  const hoursOf = (iso: string) => (Date.parse(iso) - EPOCH_MS) / MS_PER_HOUR;
  const reached = e.reachedAt === null ? null : hoursOf(e.reachedAt);
  return {
    reachedAfterPush: reached === null ? null : reached - clock.judgedPushAt,
    verdict,
    hoursAfterReach: reached === null || e.at === null ? null : hoursOf(e.at) - reached,
    haltedAfter,
    promotedAfter,
    releaseNodes: e.dark.release.nodes,
    crashLoops: e.crashLoops.count,
    darkRelease: e.dark.release.dark,
  };
}

/** Scans the simulated fleet into the tracker: only the nodes worth a look. */
class Scanner {
  private missed: number[] = [];
  private readonly isMissed: Uint8Array;
  private readonly seen: Uint8Array;

  constructor(
    private readonly a: FleetAssumptions,
    private readonly fleet: FleetModel,
    private readonly tracker: EvidenceTracker,
    private readonly random: () => number,
  ) {
    this.isMissed = new Uint8Array(a.nodes);
    this.seen = new Uint8Array(a.nodes);
  }

  /** `reach`: the share of the fleet the scanner reaches this time (the rest is missed). */
  scan(k: number, hour: number, reach: number): void {
    const missedNow = this.pickMissed(1 - (1 - this.a.missPerScan) * reach);
    const look =
      k === 0
        ? Array.from({ length: this.a.nodes }, (_, i) => i)
        : [...this.fleet.touched, ...this.missed, ...missedNow];
    this.fleet.touched.clear();
    const changes = withHealthColumn(this.changes(look));
    for (const i of missedNow) this.isMissed[i] = 0;
    this.missed = missedNow;
    const at = new Date(EPOCH_MS + hour * MS_PER_HOUR).toISOString();
    this.tracker.observe({ seq: k + 1, at, totals: NO_TOTALS, ...changes });
  }

  /**
   * The changes of one scan among the nodes worth a look, with each node's index. The first scan asks
   * every node in order, so a node's index in the tracker's table is its index
   * in the fleet. `seen` (all zero between calls) skips a node listed twice.
   */
  private changes(look: readonly number[]): [number, NodeChange][] {
    const changes: [number, NodeChange][] = [];
    const states = this.tracker.table.states;
    for (const i of look) {
      if (this.seen[i] === 1) continue;
      this.seen[i] = 1;
      const observation = this.fleet.observation(i, this.isMissed[i] === 1);
      const before = states[i] ?? EMPTY_STATE;
      const change = changeBetween(observation.node, before, nextState(before, observation));
      if (change !== null) changes.push([i, change]);
    }
    for (const i of look) this.seen[i] = 0;
    return changes;
  }

  /** The nodes that miss this scan, marked in `isMissed`: a binomial number of them, picked at random. */
  private pickMissed(share: number): number[] {
    const picked: number[] = [];
    const n = this.a.nodes;
    const mean = n * share;
    // Normal approximation of the binomial count; at 13,000 × 1% it is exact enough.
    const spread = Math.sqrt(mean * (1 - share)) * gaussian(this.random);
    const count = Math.min(n, Math.max(0, Math.round(mean + spread)));
    while (picked.length < count) {
      const i = Math.floor(this.random() * n);
      if (this.isMissed[i] === 1) continue;
      this.isMissed[i] = 1;
      picked.push(i);
    }
    return picked;
  }
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
