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
import { type NodeObservation, silentObservation } from '../history/observation';
import { type Disturbances, type FleetAssumptions, NO_DISTURBANCES, type ReleaseScenario } from './assumptions';
import { EventQueue } from './eventQueue';
import { isArcaneNode, PLATFORM_HEALTH } from './platform';

export const EPOCH_MS = Date.UTC(2026, 0, 1);
const MS_PER_HOUR = 3_600_000;

import * as E from './fleetEvents';
import { COMMITS, FOLLOW_UP, HOTFIX_COMMIT, MASTER, OLD, RELEASE, VERSIONS } from './fleetEvents';

export { FOLLOW_UP, RELEASE, VERSIONS } from './fleetEvents';

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
  /** 1: the node runs ArcaneOS (platform.ts). */
  private readonly arcane: Uint8Array;
  private readonly reason: string[];
  private readonly pushedAt = [Infinity, Infinity];
  /** Bits a E.DOWN/E.UP event sets for a node: its provider's outage, or its home's night. */
  private readonly downBits: Uint8Array;
  /** The version index that carries the harm, and the last hour events are scheduled for. */
  private readonly harmful: number;
  private readonly endHour: number;
  readonly versions: string[] = [...VERSIONS];
  readonly commits: string[] = [...COMMITS];
  /** Health simulation (healthModel.ts): the hour each node's FluxOS last started, so restarts show. */
  readonly bootHour: Float64Array;

  constructor(
    private readonly a: FleetAssumptions,
    private readonly scenario: ReleaseScenario,
    private readonly settings: PreProdSettings,
    private readonly random: RandomSource,
    private readonly d: Disturbances = NO_DISTURBANCES,
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
    this.downBits = new Uint8Array(n);
    this.arcane = Uint8Array.from({ length: n }, (_, i) => (isArcaneNode(i) ? 1 : 0));
    this.bootHour = new Float64Array(n);
    if (d.followUp?.kind === 'hotfix') [this.versions[FOLLOW_UP], this.commits[FOLLOW_UP]] = ['8.19.0', HOTFIX_COMMIT];
    this.harmful = d.followUp?.kind === 'hotfix' ? FOLLOW_UP : RELEASE;
    this.endHour = a.warmupHours + 1 + a.horizonHours + (d.followUp?.afterHours ?? 0);
    for (let i = 0; i < n; i += 1) this.seedNode(i);
    if (d.nightly !== null) this.seedNights(d.nightly);
  }

  /** The release (or the follow-up) the gate judges. */
  get judged(): { version: string; commit: string } {
    const index = this.d.followUp === null ? RELEASE : FOLLOW_UP;
    return { version: this.versions[index], commit: this.commits[index] };
  }

  private seedNights(nightly: { share: number; hours: number }): void {
    for (let i = 0; i < this.a.nodes; i += 1) {
      if (this.random() >= nightly.share) continue;
      this.downBits[i] = E.NIGHT;
      for (let midnight = 0; midnight <= this.endHour; midnight += 24) {
        this.queue.push({ time: midnight, node: i, type: E.DOWN });
        this.queue.push({ time: midnight + nightly.hours, node: i, type: E.UP });
      }
    }
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
    this.pushedAt[0] = time;
    const [low, high] = this.a.updateDelayHours;
    for (let i = 0; i < this.a.nodes; i += 1) {
      // Harm and background crashes are drawn for every node: which nodes run the release is not known yet.
      // A harm confined to ArcaneOS passes the other nodes by (the same draws, so other rows are unchanged).
      const eligible = this.scenario.arcaneOnly !== true || this.arcane[i] === 1;
      this.harmed[i] =
        this.random() < this.scenario.harm ? (eligible ? 1 : 0) : this.random() < this.a.backgroundCrashShare ? 2 : 0;
      if (this.preprod[i] !== 1) continue;
      this.queue.push({ time: time + low + (high - low) * this.random(), node: i, type: E.UPDATE });
      const optOut = time + this.exp(24 / this.a.optOutPerDay);
      if (optOut < this.endHour) this.queue.push({ time: optOut, node: i, type: E.OPT_OUT });
    }
    const provider = this.d.provider;
    if (provider === null) return;
    for (let i = 0; i < this.a.nodes; i += 1) {
      if (this.random() >= provider.share) continue;
      this.downBits[i] |= E.PROVIDER;
      this.queue.push({ time: time + provider.atHour, node: i, type: E.DOWN });
      this.queue.push({ time: time + provider.atHour + provider.hours, node: i, type: E.UP });
    }
  }

  /** The follow-up is pushed: preprod nodes pull it 1–4 h later, like the first. */
  pushFollowUp(time: number): void {
    this.pushedAt[1] = time;
    const [low, high] = this.a.updateDelayHours;
    for (let i = 0; i < this.a.nodes; i += 1)
      if (this.preprod[i] === 1)
        this.queue.push({ time: time + this.uniform([low, high]), node: i, type: E.UPDATE_NEXT });
  }

  observation(i: number, missed: boolean): NodeObservation {
    const node = this.keys[i];
    if (this.down[i] !== 0 || missed) return silentObservation(node, 'timeout');
    return {
      node,
      answered: true,
      failure: null,
      version: this.versions[this.version[i]],
      commit: this.commits[this.version[i]],
      mode: this.preprod[i] === 1 ? 'preprod' : 'production',
      reason: this.reason[i],
      cohort: this.selected[i] === 1 ? 'selected' : 'not-selected',
      health: PLATFORM_HEALTH[this.arcane[i]],
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
    this.schedule(i, E.RESTART, this.exp(a.meanRestartDays * 24));
    this.schedule(i, E.OUTAGE_START, this.exp(24 / a.outagesPerDay));
    this.schedule(i, E.LEAVE, this.exp(24 / a.leavePerDay));
  }

  private schedule(node: number, type: number, time: number): void {
    if (time <= this.endHour) this.queue.push({ time, node, type });
  }

  private handle(time: number, i: number, type: number): void {
    this.touched.add(i);
    switch (type) {
      case E.RESTART:
        this.boot(i, time);
        this.schedule(i, E.RESTART, time + this.exp(this.a.meanRestartDays * 24));
        return;
      case E.UPDATE:
      case E.UPDATE_NEXT:
        this.update(i, time, type === E.UPDATE ? RELEASE : FOLLOW_UP);
        return;
      case E.DOWN:
        this.down[i] |= this.downBits[i] & (E.PROVIDER | E.NIGHT);
        return;
      case E.UP:
        this.down[i] &= ~(this.downBits[i] & (E.PROVIDER | E.NIGHT));
        this.boot(i, time);
        return;
      case E.UPDATE_BOOT:
        this.down[i] &= ~E.RESTARTING;
        this.boot(i, time);
        return;
      case E.CRASH_REBOOT:
      case E.OPT_OUT_BOOT:
        this.boot(i, time);
        return;
      case E.OUTAGE_START:
        this.down[i] |= E.OUTAGE;
        this.schedule(i, E.OUTAGE_END, time + this.exp(this.a.outageMeanHours));
        return;
      case E.OUTAGE_END:
        this.down[i] &= ~E.OUTAGE;
        this.boot(i, time);
        this.schedule(i, E.OUTAGE_START, time + this.exp(24 / this.a.outagesPerDay));
        return;
      case E.LEAVE:
        this.down[i] |= E.GONE;
        return;
      case E.DARKEN:
        // The harm is the harmful release's: a node that moved on to a fix before it hung does not hang.
        if (this.version[i] === this.harmful) this.down[i] |= E.DARKENED;
        return;
      default: // E.OPT_OUT
        this.optedOut[i] = 1;
        this.schedule(i, E.OPT_OUT_BOOT, time + this.uniform(this.a.optOutRestartHours));
    }
  }

  /** A watchdog update: the node restarts on `to` (after `updateRestartMinutes` of silence, if any). */
  private update(i: number, time: number, to: number): void {
    if (this.preprod[i] !== 1 || this.version[i] >= to || (this.down[i] & E.NO_BOOT) !== 0) return;
    this.version[i] = to;
    if (this.d.updateRestartMinutes <= 0) {
      this.boot(i, time);
      return;
    }
    this.down[i] |= E.RESTARTING;
    this.schedule(i, E.UPDATE_BOOT, time + this.d.updateRestartMinutes / 60);
  }

  private uniform([low, high]: readonly [number, number]): number {
    return low + (high - low) * this.random();
  }

  /** One boot through the real decision rules. A node that is down (outage, gone, hung) does not boot. */
  private boot(i: number, time: number): void {
    if ((this.down[i] & E.NO_BOOT) !== 0) return;
    this.bootHour[i] = time;
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
      this.down[i] &= ~E.CRASHING;
      return;
    }
    // A node that switches to preprod fetches its tip: the newest release pushed.
    if (!wasPreprod) this.version[i] = time >= this.pushedAt[1] ? FOLLOW_UP : time >= this.pushedAt[0] ? RELEASE : OLD;
    this.afterPreprodBoot(i, time, now);
  }

  private afterPreprodBoot(i: number, time: number, now: Date): void {
    const onRelease = this.version[i] === this.harmful;
    const crashes =
      (this.version[i] >= RELEASE && this.harmed[i] === 2) ||
      (onRelease && this.harmed[i] === 1 && this.scenario.kind === 'crash-loop');
    if (crashes) {
      this.down[i] |= E.CRASHING;
      this.schedule(i, E.CRASH_REBOOT, time + this.uniform(this.a.crashRestartMinutes) / 60);
      return;
    }
    this.down[i] &= ~E.CRASHING;
    const healthy = markHealthyWrite(this.healthDoc[i], now);
    if (healthy !== null) this.apply(i, [healthy]);
    if (onRelease && this.harmed[i] === 1 && this.scenario.kind === 'darken') {
      const start = this.pushedAt[this.harmful - RELEASE] + this.d.harmStartsAtHour;
      this.schedule(i, E.DARKEN, Math.max(start, time + this.exp(this.a.darkenMeanHours)));
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
