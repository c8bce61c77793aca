/**
 * The health signals of the simulated fleet, per node and hourly scan
 * (docs/health.md, "The release simulator"). Each scan it reads what the
 * fleet model shows of every node (answered or not, on the judged release
 * or not, when FluxOS last started), makes the node's StoredHealth as the
 * history would keep it, turns it into GOOD / BAD / UNKNOWN with the real
 * SIGNAL_RULES, and feeds the tracker. No I/O, no clock; its own seeded
 * stream, so the fleet's events are those of the gate table's runs.
 */
import { UNKNOWN } from '../../health/didStats';
import { type StoredHealth, unknownHealth } from '../../health/encode';
import { SIGNAL_RULES, type SignalRule } from '../../health/signalRules';
import type { HealthAssumptions, HealthScenario, LevelAssumption } from './healthAssumptions';
import { HealthTracker, type StrataLabels, TRACKER_DEFAULTS, type TrackerSettings } from './healthTracker';
import type { NodeState } from '../history/observation';
import { EPOCH_MS, type FleetModel } from './fleetModel';
import { isArcaneNode } from './platform';

const LEVELS = ['confirmed', 'benchmark', 'apps', 'peers', 'sync', 'answer'] as const;
const [CONFIRMED, BENCHMARK, APPS, PEERS, SYNC, ANSWER] = [0, 1, 2, 3, 4, 5];
const NEVER = 0x7fffffff;

/** One answering node's stored health at a scan, for a test that feeds the same scans to a real HealthLedger. */
export type StoredListener = (i: number, stored: StoredHealth, preprod: boolean, commit: string | null) => void;

export class HealthModel {
  readonly labels: StrataLabels;
  readonly tracker: HealthTracker;
  /** Per level (LEVELS), per node: has it, the next scan it blips, the scan it loses it for good. */
  private readonly has: Uint8Array[];
  private readonly nextBlip: Int32Array[];
  private readonly lossAt: Int32Array[];
  private readonly blipPerScan: number[];
  private readonly harmed: Uint8Array;
  private readonly nextRestart: Float64Array;
  private readonly extraBoot: Float64Array;
  private readonly previousBoot: Float64Array;
  private readonly nextDegraded: Int32Array;
  private readonly current = unknownHealth();
  private readonly previous = unknownHealth();
  private scan = 0;

  constructor(
    private readonly a: HealthAssumptions,
    private readonly scenario: HealthScenario,
    private readonly n: number,
    maxScans: number,
    private readonly random: () => number,
    private readonly judgedCommit: string,
    settings: TrackerSettings = TRACKER_DEFAULTS,
    private readonly onStored?: StoredListener,
    /** The signals' rules and margins; SIGNAL_RULES unless a what-if asks other margins. */
    rules: readonly SignalRule[] = SIGNAL_RULES,
  ) {
    this.labels = this.drawLabels();
    const levels: LevelAssumption[] = LEVELS.map((name) => a[name]);
    this.blipPerScan = levels.map((l) => l.blipPerScan);
    this.has = levels.map((l) => Uint8Array.from({ length: n }, () => (random() < l.share ? 1 : 0)));
    this.nextBlip = levels.map((l) => Int32Array.from({ length: n }, () => this.geometric(0, l.blipPerScan)));
    this.lossAt = levels.map((l) => Int32Array.from({ length: n }, () => this.geometric(0, l.lossPerScan)));
    this.harmed = Uint8Array.from({ length: n }, (_, i) => (this.drawHarm(i) ? 1 : 0));
    this.nextRestart = new Float64Array(n).fill(Number.NaN);
    this.extraBoot = new Float64Array(n).fill(-Infinity);
    this.previousBoot = new Float64Array(n).fill(Number.NaN);
    this.nextDegraded = Int32Array.from({ length: n }, () => this.geometric(0, a.degradedPerScan));
    this.tracker = new HealthTracker(n, maxScans, rules, this.labels, settings);
  }

  private drawLabels(): StrataLabels {
    const a = this.a;
    const named = a.providers.map((p) => p.name);
    const smallCount = Math.max(
      0,
      Math.round((1 - a.providers.reduce((t, p) => t + p.share, 0)) / a.smallProviderShare),
    );
    const providerNames = [...named, ...Array.from({ length: smallCount }, (_, j) => `small-${j + 1}`)];
    const shares = [...a.providers.map((p) => p.share), ...new Array(smallCount).fill(a.smallProviderShare)];
    // The gate's platform (platform.ts): the same nodes run ArcaneOS in both models of a run.
    const arcane = Uint8Array.from({ length: this.n }, (_, i) => (isArcaneNode(i) ? 1 : 0));
    const provider = Int16Array.from({ length: this.n }, () => {
      let u = this.random();
      for (let j = 0; j < shares.length; j += 1) {
        u -= shares[j];
        if (u < 0) return j;
      }
      return shares.length - 1;
    });
    return { arcane, provider, providerNames };
  }

  /** Harm is drawn for every node (which nodes take the release is not known yet), among those it can show on. */
  private drawHarm(i: number): boolean {
    const { kind, harm } = this.scenario;
    if (kind === 'healthy' || harm <= 0) return false;
    if (kind === 'restarts') return this.random() < harm;
    const level = kind === 'apps' ? this.a.apps : this.a.benchmark;
    // Drawn among nodes that host apps / pass the benchmark, so that `harm` is a share of all release nodes.
    return this.has[kind === 'apps' ? APPS : BENCHMARK][i] === 1 && this.random() < harm / level.share;
  }

  /** The first scan ≥ `from` at which an event of chance `p` per scan happens. */
  private geometric(from: number, p: number): number {
    if (p <= 0) return NEVER;
    return Math.min(NEVER, from + Math.floor(Math.log(1 - this.random()) / Math.log(1 - p)));
  }

  /** Whether node i shows `level` good at this scan (a blip or a loss reads bad). */
  private level(level: number, i: number): boolean {
    const t = this.scan;
    if (this.has[level][i] === 0) return false;
    if (this.lossAt[level][i] <= t) {
      this.has[level][i] = 0;
      return false;
    }
    const blips = this.nextBlip[level];
    if (blips[i] < t) blips[i] = this.geometric(t, this.blipPerScan[level]);
    if (blips[i] !== t) return true;
    blips[i] = this.geometric(t + 1, this.blipPerScan[level]);
    return false;
  }

  /** One hourly scan: every node's signals into the tracker; `states` are what the history has after it. */
  observe(fleet: FleetModel, hour: number, states: readonly NodeState[]): void {
    for (let i = 0; i < this.n; i += 1) {
      const o = states[i];
      if (o === undefined || !o.answered) {
        for (let k = 0; k < SIGNAL_RULES.length; k += 1) this.tracker.record(k, i, UNKNOWN);
        continue;
      }
      const onRelease = o.mode === 'preprod' && o.commit === this.judgedCommit;
      if (onRelease) this.tracker.reachedRelease(i);
      this.fill(i, hour, onRelease && this.harmed[i] === 1, fleet.bootHour[i]);
      const hadPrevious = !Number.isNaN(this.previousBoot[i]);
      this.previous.bootMinute = hadPrevious ? this.previousBoot[i] : null;
      for (let k = 0; k < SIGNAL_RULES.length; k += 1)
        this.tracker.record(k, i, SIGNAL_RULES[k].value(this.current, hadPrevious ? this.previous : null));
      this.previousBoot[i] = this.current.bootMinute as number;
      this.onStored?.(i, { ...this.current }, o.mode === 'preprod', o.commit);
    }
    this.tracker.endScan();
    this.scan += 1;
  }

  /** Node i's StoredHealth at this scan into `current`. */
  private fill(i: number, hour: number, harmOn: boolean, bootHour: number): void {
    const c = this.current;
    const kind = this.scenario.kind;
    c.arcane = this.labels.arcane[i] === 1;
    c.provider = this.labels.providerNames[this.labels.provider[i]] ?? null;
    c.bootMinute = Math.floor(EPOCH_MS / 60_000 + Math.max(bootHour, this.restartsOf(i, hour, harmOn, bootHour)) * 60);
    if (this.nextDegraded[i] < this.scan) this.nextDegraded[i] = this.geometric(this.scan, this.a.degradedPerScan);
    if (this.nextDegraded[i] === this.scan) {
      this.nextDegraded[i] = this.geometric(this.scan + 1, this.a.degradedPerScan);
      // An error envelope: FluxOS is up (its boot time comes from /flux/preprod), a component failed.
      Object.assign(c, { degraded: 'other', confirmed: null, benchmarkPassing: null, runningApps: null });
      Object.assign(c, { peersInLevel: null, peersOutLevel: null, lagLevel: null, answerLevel: null });
      return;
    }
    c.degraded = null;
    c.confirmed = this.level(CONFIRMED, i);
    c.benchmarkPassing = this.level(BENCHMARK, i) && !(harmOn && kind === 'benchmark');
    c.runningApps = this.level(APPS, i) && !(harmOn && kind === 'apps') ? 3 : 0;
    const peers = this.level(PEERS, i) ? 2 : 1;
    c.peersInLevel = peers;
    c.peersOutLevel = peers;
    c.lagLevel = this.level(SYNC, i) ? 0 : 2;
    c.answerLevel = this.level(ANSWER, i) ? 0 : 1;
  }

  /** The last restart of a `restarts`-harmed node on the release, past the health mark, by `hour`. */
  private restartsOf(i: number, hour: number, harmOn: boolean, bootHour: number): number {
    if (!harmOn || this.scenario.kind !== 'restarts') {
      this.nextRestart[i] = Number.NaN;
      return this.extraBoot[i];
    }
    const [low, high] = this.a.restartEveryHours;
    const gap = () => low + (high - low) * this.random();
    if (Number.isNaN(this.nextRestart[i])) this.nextRestart[i] = Math.max(bootHour, this.extraBoot[i]) + gap();
    while (this.nextRestart[i] <= hour) {
      this.extraBoot[i] = this.nextRestart[i];
      this.nextRestart[i] += gap();
    }
    return this.extraBoot[i];
  }
}
