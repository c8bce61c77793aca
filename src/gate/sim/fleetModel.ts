/**
 * The simulated fleet of one release run: every node has its own stored
 * records and boots through the real decide() of the boot step, so opt-outs,
 * re-draws and the crash-loop fallback behave as on real nodes. Events
 * (restarts, watchdog updates, outages, crashes) come from a seeded stream.
 * What a scan sees of a node is `observation()`. No I/O, no clock.
 */
import { decide, markHealthyWrite, type StoreWrite } from '../../cohort/decide';
import type { RandomSource } from '../../cohort/random';
import { BOOT_HEALTH_KEY, COHORT_KEY, OPT_OUT_KEY, type PreProdSettings, type StoredDocument } from '../../types';
import type { NodeObservation } from '../history/observation';
import type { FleetAssumptions, ReleaseScenario } from './assumptions';
import { EventQueue } from './eventQueue';

export const EPOCH_MS = Date.UTC(2026, 0, 1);
const MS_PER_HOUR = 3_600_000;

/** Versions: master, the release already on preprod, the one being judged. */
export const VERSIONS = ['8.17.0', '8.18.0', '8.19.0'] as const;
const COMMITS = ['17c0ffee17c0ffee', '18c0ffee18c0ffee', '19c0ffee19c0ffee'];
const MASTER = 0;
const OLD = 1;
export const RELEASE = 2;

// Why a node does not answer; any set bit makes it silent.
const OUTAGE = 1;
const GONE = 2;
const DARKENED = 4;
const CRASHING = 8;

// Event types.
const RESTART = 0;
const UPDATE = 1;
const CRASH_REBOOT = 2;
const OUTAGE_START = 3;
const OUTAGE_END = 4;
const LEAVE = 5;
const DARKEN = 6;
const OPT_OUT = 7;
const OPT_OUT_BOOT = 8;

export class FleetModel {
  readonly keys: string[];
  /** Nodes whose observable state may have changed since the last scan. */
  readonly touched = new Set<number>();
  private readonly queue = new EventQueue();
  private readonly cohortDoc: (StoredDocument | null)[];
  private readonly optOutDoc: (StoredDocument | null)[];
  private readonly healthDoc: (StoredDocument | null)[];
  private readonly optedOut: Uint8Array;
  private readonly preprod: Uint8Array;
  private readonly selected: Uint8Array;
  private readonly version: Uint8Array;
  private readonly down: Uint8Array;
  private readonly harmed: Uint8Array;
  private readonly reason: string[];
  private pushedAt = Infinity;

  constructor(
    private readonly a: FleetAssumptions,
    private readonly scenario: ReleaseScenario,
    private readonly settings: PreProdSettings,
    private readonly random: RandomSource,
  ) {
    const n = a.nodes;
    this.keys = Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:16127`);
    this.cohortDoc = new Array(n).fill(null);
    this.optOutDoc = new Array(n).fill(null);
    this.healthDoc = new Array(n).fill(null);
    this.reason = new Array(n).fill('not-selected');
    [this.optedOut, this.preprod, this.selected, this.version, this.down, this.harmed] = Array.from(
      { length: 6 },
      () => new Uint8Array(n),
    );
    for (let i = 0; i < n; i += 1) this.seedNode(i);
  }

  /** Runs every event up to `time` (hours). */
  advance(time: number): void {
    while (this.queue.peekTime() <= time) {
      const event = this.queue.pop();
      if (event !== undefined) this.handle(event.time, event.node, event.type);
    }
  }

  /** The release is pushed to preprod: every preprod node's watchdog pulls it 1–4 h later. */
  push(time: number): void {
    this.pushedAt = time;
    const [low, high] = this.a.updateDelayHours;
    const horizon = this.a.warmupHours + 1 + this.a.horizonHours;
    for (let i = 0; i < this.a.nodes; i += 1) {
      // Harm and background crashes are drawn for every node: which nodes run the release is not known yet.
      this.harmed[i] = this.random() < this.scenario.harm ? 1 : this.random() < this.a.backgroundCrashShare ? 2 : 0;
      if (this.preprod[i] !== 1) continue;
      this.queue.push({ time: time + low + (high - low) * this.random(), node: i, type: UPDATE });
      const optOut = time + this.exp(24 / this.a.optOutPerDay);
      if (optOut < horizon) this.queue.push({ time: optOut, node: i, type: OPT_OUT });
    }
  }

  observation(i: number, missed: boolean): NodeObservation {
    const node = this.keys[i];
    if (this.down[i] !== 0 || missed) {
      return {
        node,
        answered: false,
        failure: 'timeout',
        version: null,
        commit: null,
        mode: null,
        reason: null,
        cohort: 'unknown',
      };
    }
    return {
      node,
      answered: true,
      failure: null,
      version: VERSIONS[this.version[i]],
      commit: COMMITS[this.version[i]],
      mode: this.preprod[i] === 1 ? 'preprod' : 'production',
      reason: this.reason[i],
      cohort: this.selected[i] === 1 ? 'selected' : 'not-selected',
    };
  }

  private exp(mean: number): number {
    return -mean * Math.log(1 - this.random());
  }

  private seedNode(i: number): void {
    const a = this.a;
    const rolledAt = new Date(EPOCH_MS - this.random() * a.daysToNextEval * 24 * MS_PER_HOUR);
    const draw = this.random();
    const value = draw < a.probability;
    this.cohortDoc[i] = { key: COHORT_KEY, value, draw, rolledAt, probability: a.probability, updatedAt: rolledAt };
    if (this.random() < a.optOutShare) {
      this.optedOut[i] = 1;
      this.optOutDoc[i] = { key: OPT_OUT_KEY, optedOut: true, updatedAt: rolledAt };
    }
    this.boot(i, 0);
    this.schedule(i, RESTART, this.exp(a.meanRestartDays * 24));
    this.schedule(i, OUTAGE_START, this.exp(24 / a.outagesPerDay));
    this.schedule(i, LEAVE, this.exp(24 / a.leavePerDay));
  }

  private schedule(node: number, type: number, time: number): void {
    if (time <= this.a.warmupHours + 1 + this.a.horizonHours) this.queue.push({ time, node, type });
  }

  private handle(time: number, i: number, type: number): void {
    this.touched.add(i);
    switch (type) {
      case RESTART:
        this.boot(i, time);
        this.schedule(i, RESTART, time + this.exp(this.a.meanRestartDays * 24));
        return;
      case UPDATE:
        if (this.preprod[i] === 1 && this.version[i] !== RELEASE && (this.down[i] & (GONE | OUTAGE | DARKENED)) === 0) {
          this.version[i] = RELEASE;
          this.boot(i, time);
        }
        return;
      case CRASH_REBOOT:
      case OPT_OUT_BOOT:
        this.boot(i, time);
        return;
      case OUTAGE_START:
        this.down[i] |= OUTAGE;
        this.schedule(i, OUTAGE_END, time + this.exp(this.a.outageMeanHours));
        return;
      case OUTAGE_END:
        this.down[i] &= ~OUTAGE;
        this.boot(i, time);
        this.schedule(i, OUTAGE_START, time + this.exp(24 / this.a.outagesPerDay));
        return;
      case LEAVE:
        this.down[i] |= GONE;
        return;
      case DARKEN:
        this.down[i] |= DARKENED;
        return;
      default: // OPT_OUT
        this.optedOut[i] = 1;
        this.schedule(i, OPT_OUT_BOOT, time + this.uniform(this.a.optOutRestartHours));
    }
  }

  private uniform([low, high]: readonly [number, number]): number {
    return low + (high - low) * this.random();
  }

  /** One boot through the real decision rules. A node that is down (outage, gone, hung) does not boot. */
  private boot(i: number, time: number): void {
    if ((this.down[i] & (OUTAGE | GONE | DARKENED)) !== 0) return;
    const now = new Date(EPOCH_MS + time * MS_PER_HOUR);
    const decision = decide({
      settings: this.settings,
      flags: { development: false, disablePreProd: this.optedOut[i] === 1 ? true : undefined },
      cohortDoc: this.cohortDoc[i],
      optOutDoc: this.optOutDoc[i],
      healthDoc: this.healthDoc[i],
      now,
      random: this.random,
    });
    this.apply(i, decision.writes);
    const wasPreprod = this.preprod[i] === 1;
    this.preprod[i] = decision.mode === 'preprod' ? 1 : 0;
    this.selected[i] = decision.cohort?.selected ? 1 : 0;
    this.reason[i] = decision.reason;
    if (decision.mode !== 'preprod') {
      this.version[i] = MASTER;
      this.down[i] &= ~CRASHING;
      return;
    }
    // A node that switches to preprod fetches its tip: the release once it was pushed.
    if (!wasPreprod) this.version[i] = time >= this.pushedAt ? RELEASE : OLD;
    this.afterPreprodBoot(i, time, now);
  }

  private afterPreprodBoot(i: number, time: number, now: Date): void {
    const onRelease = this.version[i] === RELEASE;
    const crashes =
      onRelease && (this.harmed[i] === 2 || (this.harmed[i] === 1 && this.scenario.kind === 'crash-loop'));
    if (crashes) {
      this.down[i] |= CRASHING;
      this.schedule(i, CRASH_REBOOT, time + this.uniform(this.a.crashRestartMinutes) / 60);
      return;
    }
    this.down[i] &= ~CRASHING;
    const healthy = markHealthyWrite(this.healthDoc[i], now);
    if (healthy !== null) this.apply(i, [healthy]);
    if (onRelease && this.harmed[i] === 1 && this.scenario.kind === 'darken') {
      this.schedule(i, DARKEN, time + this.exp(this.a.darkenMeanHours));
      this.harmed[i] = 3; // darkened once
    }
  }

  private apply(i: number, writes: readonly StoreWrite[]): void {
    for (const write of writes) {
      const value = 'delete' in write ? null : write.value;
      if (write.key === COHORT_KEY) this.cohortDoc[i] = value;
      else if (write.key === OPT_OUT_KEY) this.optOutDoc[i] = value;
      else if (write.key === BOOT_HEALTH_KEY) this.healthDoc[i] = value;
    }
  }
}
