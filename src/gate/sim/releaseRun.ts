/**
 * One seeded run of a release on the simulated fleet: hourly scans from
 * `warmupHours` before the push, each scan's node changes fed to the same
 * evidence tracker and verdict the `gate` command uses, until the gate says
 * promote or halt or the horizon is reached. Only nodes that had an event or
 * a missed scan are looked at in a scan, so 13,000 nodes cost little.
 */
import { defaultSettings } from '../../config/settings';
import { seededRandom } from '../../cohort/random';
import { EvidenceTracker } from '../judge/evidence';
import type { GateSettings } from '../judge/gateSettings';
import { changeBetween, EMPTY_STATE, nextState, type NodeChange } from '../history/observation';
import { emptyTotals, type ScanTotals } from '../history/scanRecord';
import { judge, type Verdict } from '../judge/verdict';
import type { FleetAssumptions, ReleaseScenario } from './assumptions';
import { EPOCH_MS, FleetModel, RELEASE, VERSIONS } from './fleetModel';

const MS_PER_HOUR = 3_600_000;

/** The tracker reads totals only for the HTML timeline, which a simulation does not draw. */
const NO_TOTALS: ScanTotals = Object.freeze(emptyTotals());

export interface RunOutcome {
  /** Hours from the push to the scan where the release reached preprod; null if it never did. */
  reachedAfterPush: number | null;
  /** The gate's verdict when the run ended (promote, halt, or wait at the horizon). */
  verdict: Verdict;
  /** Hours from reaching preprod to that verdict. */
  hoursAfterReach: number | null;
  /** Selected nodes on the release and its crash-loop fallbacks and dark nodes at the end. */
  releaseNodes: number;
  crashLoops: number;
  darkRelease: number;
}

export function runRelease(
  assumptions: FleetAssumptions,
  scenario: ReleaseScenario,
  gate: GateSettings,
  seed: number,
): RunOutcome {
  const random = seededRandom(seed);
  const settings = {
    ...defaultSettings().preProd,
    probability: assumptions.probability,
    daysToNextEval: assumptions.daysToNextEval,
  };
  const fleet = new FleetModel(assumptions, scenario, settings, random);
  const tracker = new EvidenceTracker({ version: VERSIONS[RELEASE], commit: null }, gate);
  const pushAt = assumptions.warmupHours + random();
  let missed: number[] = [];
  let pushed = false;
  let verdict: Verdict = 'wait';
  const isMissed = new Uint8Array(assumptions.nodes);
  const seen = new Uint8Array(assumptions.nodes);
  for (let hour = 0; hour <= pushAt + assumptions.horizonHours; hour += 1) {
    if (!pushed && hour >= pushAt) {
      fleet.advance(pushAt);
      fleet.push(pushAt);
      pushed = true;
    }
    fleet.advance(hour);
    const missedNow = pickMissed(assumptions, random, isMissed);
    const look =
      hour === 0 ? Array.from({ length: assumptions.nodes }, (_, i) => i) : [...fleet.touched, ...missed, ...missedNow];
    fleet.touched.clear();
    const changes = scanChanges(fleet, tracker, look, isMissed, seen);
    for (const i of missedNow) isMissed[i] = 0;
    missed = missedNow;
    const at = new Date(EPOCH_MS + hour * MS_PER_HOUR).toISOString();
    tracker.observe({ seq: hour + 1, at, totals: NO_TOTALS, changes });
    const evidence = tracker.evidence();
    if (evidence.reachedAt === null) continue;
    verdict = judge(evidence, gate).verdict;
    if (verdict !== 'wait') break;
  }
  return outcome(tracker, pushAt, verdict);
}

function outcome(tracker: EvidenceTracker, pushAt: number, verdict: Verdict): RunOutcome {
  const e = tracker.evidence();
  const hoursOf = (iso: string) => (Date.parse(iso) - EPOCH_MS) / MS_PER_HOUR;
  return {
    reachedAfterPush: e.reachedAt === null ? null : hoursOf(e.reachedAt) - pushAt,
    verdict,
    hoursAfterReach: e.hoursSinceReached,
    releaseNodes: e.dark.release.nodes,
    crashLoops: e.crashLoops.count,
    darkRelease: e.dark.release.dark,
  };
}

/**
 * The changes of one scan among the nodes worth a look. The first scan asks
 * every node in order, so a node's index in the tracker's table is its index
 * in the fleet. `seen` (all zero between calls) skips a node listed twice.
 */
function scanChanges(
  fleet: FleetModel,
  tracker: EvidenceTracker,
  look: readonly number[],
  isMissed: Uint8Array,
  seen: Uint8Array,
): NodeChange[] {
  const changes: NodeChange[] = [];
  const states = tracker.table.states;
  for (const i of look) {
    if (seen[i] === 1) continue;
    seen[i] = 1;
    const observation = fleet.observation(i, isMissed[i] === 1);
    const before = states[i] ?? EMPTY_STATE;
    const change = changeBetween(observation.node, before, nextState(before, observation));
    if (change !== null) changes.push(change);
  }
  for (const i of look) seen[i] = 0;
  return changes;
}

/** The nodes that miss this scan, marked in `isMissed`: a binomial number of them, picked at random. */
function pickMissed(a: FleetAssumptions, random: () => number, isMissed: Uint8Array): number[] {
  const picked: number[] = [];
  const mean = a.nodes * a.missPerScan;
  // Normal approximation of the binomial count; at 13,000 × 1% it is exact enough.
  const count = Math.min(
    a.nodes,
    Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - a.missPerScan)) * gaussian(random))),
  );
  while (picked.length < count) {
    const i = Math.floor(random() * a.nodes);
    if (isMissed[i] === 1) continue;
    isMissed[i] = 1;
    picked.push(i);
  }
  return picked;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
