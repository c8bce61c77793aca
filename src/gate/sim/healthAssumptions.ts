/**
 * The fixed assumptions of the health simulation (docs/health.md, "The
 * release simulator"): what real nodes show of the signals of
 * src/health/signalRules.ts scan by scan, and the harms of issue 20 that a
 * release does while its nodes keep answering. Written down before the
 * table was run; change them only together with that section.
 */

/** A release harm the nodes survive: they keep answering while apps, benchmark or FluxOS's process suffer. */
export type HealthHarmKind = 'apps' | 'benchmark' | 'restarts';

export const HEALTH_HARM_KINDS: readonly HealthHarmKind[] = ['apps', 'benchmark', 'restarts'];

export interface HealthScenario {
  /** 'healthy', or the harm the judged release does. */
  kind: 'healthy' | HealthHarmKind;
  /** Share of the release's nodes harmed (0 for healthy). */
  harm: number;
}

/** A signal that a node either has or lacks for good, with blips (reads bad for one scan) while it has it. */
export interface LevelAssumption {
  /** Share of nodes that have it (a node that never has it reads bad every scan and cancels in its own difference). */
  share: number;
  /** Chance per scan that a node that has it reads bad this scan only. */
  blipPerScan: number;
  /** Chance per scan that a node that has it loses it for good (an operator's change, not the release's). */
  lossPerScan: number;
}

export interface HealthAssumptions {
  /** Hosting providers and their shares of the fleet; the rest are small providers of `smallProviderShare` each. */
  providers: readonly { name: string; share: number }[];
  smallProviderShare: number;
  confirmed: LevelAssumption;
  benchmark: LevelAssumption;
  /** Runs at least one app. */
  apps: LevelAssumption;
  /** At least 4 outgoing peers. */
  peers: LevelAssumption;
  /** At most 20 blocks behind the median. */
  sync: LevelAssumption;
  /** `/flux/info` answered in under 2 s. */
  answer: LevelAssumption;
  /** Chance per scan that `/flux/info` answers with an error envelope (degraded) for one scan. */
  degradedPerScan: number;
  /** A harmed node of the `restarts` kind restarts FluxOS this many hours apart (uniform), past the health mark. */
  restartEveryHours: readonly [number, number];
}

export const HEALTH_ASSUMPTIONS: HealthAssumptions = Object.freeze({
  providers: [
    { name: 'Hetzner', share: 0.25 },
    { name: 'Contabo', share: 0.2 },
    { name: 'OVH', share: 0.12 },
    { name: 'Netcup', share: 0.08 },
    { name: 'home', share: 0.15 },
  ],
  smallProviderShare: 0.01,
  confirmed: { share: 0.98, blipPerScan: 0.005, lossPerScan: 0.0001 },
  benchmark: { share: 0.97, blipPerScan: 0.01, lossPerScan: 0.0002 },
  apps: { share: 0.65, blipPerScan: 0.02, lossPerScan: 0.0005 },
  peers: { share: 0.95, blipPerScan: 0.02, lossPerScan: 0.0002 },
  sync: { share: 0.99, blipPerScan: 0.02, lossPerScan: 0.0001 },
  answer: { share: 0.9, blipPerScan: 0.03, lossPerScan: 0.0002 },
  degradedPerScan: 0.005,
  restartEveryHours: [2, 4] as const,
});
