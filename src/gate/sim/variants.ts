/**
 * The rows of the simulation table in docs/gate.md: the plain run and every
 * disturbance the gate must survive. Each row runs a healthy release and the
 * harmful kinds it lists; `smallFleet` rows are judged against what the gate
 * says up front it can detect, not against the 13,000-node targets.
 */
import type { GateSettings } from '../judge/gateSettings';
import { detectableHarm } from '../judge/reach';
import {
  ASSUMPTIONS,
  type Disturbances,
  type FleetAssumptions,
  NO_DISTURBANCES,
  type ReleaseKind,
  type ReleaseScenario,
} from './assumptions';

export interface Variant {
  /** Short name, used by `--scenarios`. */
  id: string;
  name: string;
  fleet: Partial<FleetAssumptions>;
  disturbances: Partial<Disturbances>;
  kinds: readonly ReleaseKind[];
  /** Judged against what the gate says it can detect (2,000 nodes, p = 0.03). */
  smallFleet?: boolean;
  /** Releases with a fixed harm run after `kinds`: the harms of issue 20 (see SMALL_HARMS). */
  extra?: readonly ReleaseScenario[];
}

/**
 * Issue 20's harms on the dark and crash-loop criteria, run on the churn rows: 5% of ArcaneOS nodes only
 * (30% of the fleet), and 2% and 1% of every node.
 */
export const SMALL_HARMS: readonly ReleaseScenario[] = [
  { kind: 'darken', harm: 0.05, arcaneOnly: true },
  { kind: 'crash-loop', harm: 0.05, arcaneOnly: true },
  { kind: 'darken', harm: 0.02 },
  { kind: 'crash-loop', harm: 0.02 },
  { kind: 'darken', harm: 0.01 },
  { kind: 'crash-loop', harm: 0.01 },
];

const ALL: readonly ReleaseKind[] = ['healthy', 'darken', 'crash-loop'];
const churn = (k: number): Partial<FleetAssumptions> => ({
  outagesPerDay: ASSUMPTIONS.outagesPerDay * k,
  leavePerDay: ASSUMPTIONS.leavePerDay * k,
  missPerScan: ASSUMPTIONS.missPerScan * k,
});

export const VARIANTS: readonly Variant[] = [
  { id: 'current', name: 'current setup', fleet: {}, disturbances: {}, kinds: ALL, extra: SMALL_HARMS },
  { id: 'churn2', name: 'churn 2× the model', fleet: churn(2), disturbances: {}, kinds: ALL, extra: SMALL_HARMS },
  { id: 'churn3', name: 'churn 3× the model', fleet: churn(3), disturbances: {}, kinds: ALL, extra: SMALL_HARMS },
  {
    id: 'provider',
    name: 'a provider with 15% of nodes down 6 h (12 h after the push)',
    fleet: {},
    disturbances: { provider: { share: 0.15, atHour: 12, hours: 6 } },
    kinds: ALL,
    extra: SMALL_HARMS,
  },
  {
    id: 'nightly',
    name: 'home nodes (10%) offline 8 h every night',
    fleet: {},
    disturbances: { nightly: { share: 0.1, hours: 8 } },
    kinds: ALL,
    extra: SMALL_HARMS,
  },
  {
    id: 'scanner',
    name: 'the scanner reaches half the fleet for 3 scans (10 h after the push)',
    fleet: {},
    disturbances: { scanner: { share: 0.5, atHour: 10, scans: 3 } },
    kinds: ALL,
    extra: SMALL_HARMS,
  },
  {
    id: 'gap',
    name: 'recorder down 55–99 h after the push, harm from 66 h (runs to 144 h)',
    fleet: { horizonHours: 144 },
    disturbances: { recorderGap: { fromHour: 55, toHour: 99 }, harmStartsAtHour: 66 },
    kinds: ['healthy', 'darken'],
  },
  { id: 'nodes2000', name: '2,000 nodes', fleet: { nodes: 2000 }, disturbances: {}, kinds: ALL, smallFleet: true },
  { id: 'p003', name: 'p = 0.03', fleet: { probability: 0.03 }, disturbances: {}, kinds: ALL, smallFleet: true },
  {
    id: 'hotfix',
    name: 'a same-version hotfix 24 h after the release (judged: the hotfix)',
    fleet: {},
    disturbances: { followUp: { kind: 'hotfix', afterHours: 24 } },
    kinds: ALL,
  },
  {
    id: 'fix',
    name: 'a fix pushed 3 h after a bad release (judged: the fix)',
    fleet: {},
    disturbances: { followUp: { kind: 'fix', afterHours: 3 } },
    kinds: ['darken', 'crash-loop'],
  },
  {
    id: 'every10m',
    name: 'scans every 10 min, 30-min update restarts',
    fleet: {},
    disturbances: { scanMinutes: 10, updateRestartMinutes: 30 },
    kinds: ALL,
  },
  {
    id: 'week',
    name: 'the gate asked hourly for 7 days, also after it promotes',
    fleet: { horizonHours: 168 },
    disturbances: { keepAsking: true },
    kinds: ['healthy'],
  },
];

export function fleetOf(variant: Variant): FleetAssumptions {
  return { ...ASSUMPTIONS, ...variant.fleet };
}

export function disturbancesOf(variant: Variant): Disturbances {
  return { ...NO_DISTURBANCES, ...variant.disturbances };
}

/** The release judged is healthy: a healthy release, or the fix after a harmful one. */
export function judgedHealthy(variant: Variant, kind: ReleaseKind): boolean {
  return kind === 'healthy' || variant.disturbances.followUp?.kind === 'fix';
}

/**
 * The harm a row's harmful releases carry: 5%, or for a small fleet what the
 * gate says up front it can halt by 24 h (from the expected group sizes and a
 * 1% baseline dark share), rounded up to a whole percent.
 */
export function harmOf(variant: Variant, kind: ReleaseKind, gate: GateSettings, defaultHarm: number): number {
  if (kind === 'healthy') return 0;
  if (!variant.smallFleet) return defaultHarm;
  const d = statedDetectable(variant, gate);
  const share = kind === 'darken' ? d.darkShare : d.crashLoopShare;
  return share === null ? 1 : Math.max(defaultHarm, Math.ceil(share * 100) / 100);
}

export function statedDetectable(variant: Variant, gate: GateSettings) {
  const a = fleetOf(variant);
  const release = a.nodes * a.probability * (1 - a.optOutShare);
  return detectableHarm(release, a.nodes - release, 0.01, gate);
}
