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
