/**
 * The fixed assumptions of the release simulation (docs/gate.md, "Validation
 * by simulation"). They were written down before the gate's defaults were
 * tuned; change them only together with that section.
 */

export type ReleaseKind = 'healthy' | 'darken' | 'crash-loop';

export interface ReleaseScenario {
  kind: ReleaseKind;
  /** Share of the nodes running the release that it harms (0 for healthy). */
  harm: number;
  /** The harm falls on ArcaneOS nodes only (30% of the fleet, src/gate/sim/platform.ts): `harm` of those. */
  arcaneOnly?: boolean;
}

export interface FleetAssumptions {
  nodes: number;
  probability: number;
  /** Share of nodes opted out from the start. */
  optOutShare: number;
  /** Days a draw stays valid; stored draws were rolled uniformly within the last this many days. */
  daysToNextEval: number;
  /** Mean days between random restarts of a node (exponential). */
  meanRestartDays: number;
  /** The watchdog pulls the release this many hours after the push (uniform). */
  updateDelayHours: readonly [number, number];
  /** A node that failed to boot is restarted this many minutes later (uniform). */
  crashRestartMinutes: readonly [number, number];
  /** Share of preprod nodes per day whose operator opts out during the release. */
  optOutPerDay: number;
  /** An opt-out takes effect at a restart this many hours later (uniform). */
  optOutRestartHours: readonly [number, number];
  /** Chance that a node misses one scan (a timeout). */
  missPerScan: number;
  /** Outages started per node per day, and their mean length in hours (exponential). */
  outagesPerDay: number;
  outageMeanHours: number;
  /** Share of nodes per day that leave for good. */
  leavePerDay: number;
  /** Share of nodes that crash at every boot on any new release (background crash loops). */
  backgroundCrashShare: number;
  /** A darkened node stops answering this many hours (mean, exponential) after it updates. */
  darkenMeanHours: number;
  /** Hours of scans before the push, and hours after it before a run ends without a verdict. */
  warmupHours: number;
  horizonHours: number;
}

export const ASSUMPTIONS: FleetAssumptions = Object.freeze({
  nodes: 13_000,
  probability: 0.07,
  optOutShare: 0.02,
  daysToNextEval: 30,
  meanRestartDays: 7,
  updateDelayHours: [1, 4] as const,
  crashRestartMinutes: [5, 30] as const,
  optOutPerDay: 0.005,
  optOutRestartHours: [0, 2] as const,
  missPerScan: 0.01,
  outagesPerDay: 0.01,
  outageMeanHours: 12,
  leavePerDay: 0.002,
  backgroundCrashShare: 0.002,
  darkenMeanHours: 2,
  warmupHours: 24,
  horizonHours: 96,
});

/**
 * What a table row changes from the plain run (docs/gate.md, "Validation by
 * simulation"). Hours "after the push" count from the first push.
 */
export interface Disturbances {
  /** A hosting provider: this share of nodes is down for `hours`, from `atHour` after the push. */
  provider: { share: number; atHour: number; hours: number } | null;
  /** Home nodes: this share of nodes is offline every night from midnight UTC for `hours`. */
  nightly: { share: number; hours: number } | null;
  /** The scanner reaches only `share` of the fleet in `scans` scans in a row from `atHour` after the push. */
  scanner: { share: number; atHour: number; scans: number } | null;
  /** The recorder is down from `fromHour` to `toHour` after the push: those scans are never recorded. */
  recorderGap: { fromHour: number; toHour: number } | null;
  /** The harm begins this many hours after the push (a node darkens no earlier). */
  harmStartsAtHour: number;
  /** Minutes between scans (the gate is asked after each). */
  scanMinutes: number;
  /** Minutes a node is silent while it restarts for a watchdog update. */
  updateRestartMinutes: number;
  /**
   * A second push `afterHours` after the first, and the gate judges it: `hotfix` is the same version on a
   * new commit (it carries the harm, the first is healthy); `fix` is a newer version after a first one that
   * carries the harm (the fix is healthy).
   */
  followUp: { kind: 'hotfix' | 'fix'; afterHours: number } | null;
  /** Keep asking the gate after it promotes (a halt later counts as a false halt). */
  keepAsking: boolean;
}

export const NO_DISTURBANCES: Disturbances = Object.freeze({
  provider: null,
  nightly: null,
  scanner: null,
  recorderGap: null,
  harmStartsAtHour: 0,
  scanMinutes: 60,
  updateRestartMinutes: 0,
  followUp: null,
  keepAsking: false,
});
