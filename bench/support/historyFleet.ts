/**
 * The 30-day hourly history of 13,000 nodes the history benches record
 * (historyBudget, healthJudge): the release simulation's fleet with health
 * signals from healthModel.ts, each scan through the real recording path
 * (buildScan() appended to a file history with fsync). The fleet model is
 * described in bench/historyBudget.bench.ts.
 */
import { defaultSettings } from '../../src/config/settings';
import { seededRandom } from '../../src/cohort/random';
import { FileHistory } from '../../src/gate/history/fileHistory';
import type { NodeObservation } from '../../src/gate/history/observation';
import { buildScan, type NodeTable } from '../../src/gate/history/scanRecord';
import { toStored } from '../../src/health/encode';
import { ASSUMPTIONS } from '../../src/gate/sim/assumptions';
import { EPOCH_MS, FleetModel } from '../../src/gate/sim/fleetModel';
import { modelNode, scanOf } from './healthModel';

export const NODES = 13_000;
export const HOURS = 30 * 24;

/** The master release of day 15: every production node moves to 8.17.1. */
function withMasterRelease(o: NodeObservation, hour: number): NodeObservation {
  if (hour < 15 * 24 || !o.answered || o.mode !== 'production') return o;
  return { ...o, version: '8.17.1', commit: '171c0ffee171c0ff' };
}

/** Answering nodes with their signals stored as observeScan() stores a real scan's. */
function withHealth(
  table: NodeTable,
  observations: readonly NodeObservation[],
  signals: readonly ReturnType<typeof scanOf>[],
): NodeObservation[] {
  return observations.map((o, i) => {
    if (!o.answered) return o;
    const { signals: read, lag, ms } = signals[i];
    return { ...o, health: toStored(read, lag, ms, table.get(o.node).health) };
  });
}

/** Records the history into `file`: the time spent appending and the node change records written. */
export async function recordHistory(file: string): Promise<{ appendMs: number; changes: number }> {
  const random = seededRandom(30);
  const assumptions = { ...ASSUMPTIONS, nodes: NODES, warmupHours: 0, horizonHours: HOURS };
  const settings = { ...defaultSettings().preProd, probability: assumptions.probability };
  const fleet = new FleetModel(assumptions, { kind: 'healthy', harm: 0 }, settings, random);
  const history = new FileHistory(file);
  const healthRandom = seededRandom(20);
  const health = fleet.keys.map((_, i) => modelNode(i, healthRandom));
  let appendMs = 0;
  let changes = 0;
  for (let hour = 0; hour < HOURS; hour += 1) {
    if (hour === 24) fleet.push(24);
    fleet.advance(hour);
    const observations = fleet.keys.map((_, i) =>
      withMasterRelease(fleet.observation(i, random() < assumptions.missPerScan), hour),
    );
    const signals = health.map((node) => scanOf(node, hour, healthRandom));
    fleet.touched.clear();
    const at = new Date(EPOCH_MS + hour * 3_600_000).toISOString();
    const started = performance.now();
    const scan = await history.append((tail) =>
      buildScan(tail.table, withHealth(tail.table, observations, signals), at, tail.seq + 1),
    );
    appendMs += performance.now() - started;
    changes += scan.changes.length;
  }
  return { appendMs, changes };
}
