/**
 * The evidence about one release, gathered scan by scan (docs/gate.md,
 * docs/design.md §11): a ledger entry per node, moved only by that node's own
 * answers, and counts that are counts of nodes. Work per scan is proportional
 * to the nodes that changed plus the nodes silent now, so a simulation can ask
 * for a verdict after every scan of 13,000 nodes. Pure: scans in, counts out.
 */
import type { NodeState } from '../history/observation';
import { NodeTable, type ScanRecord } from '../history/scanRecord';
import type { Gap } from '../report/timeline';
import { gapBetween, round2, scansInLastDay, watchedHours } from './coverage';
import type { FellBack, GateEvidence, ScanPoint, Supersession } from './evidenceTypes';
import { countDark, Membership, platformsOf, strataOf } from './darkCount';
import type { GateSettings } from './gateSettings';
import { type Live, scanPoint } from './scanPoint';
import * as rules from './nodeLedger';
import { chargedToRelease, type ChargeContext, contextAtReach, PULL_LEAD_MS } from './charging';
import { isNewerRelease, releaseKeyOf, runsRelease, type Release } from './releaseId';

export type {
  DarkByFailure,
  DarkGroups,
  FellBack,
  GateEvidence,
  Release,
  ScanPoint,
  Stratum,
  StratumEvidence,
  Supersession,
} from './evidenceTypes';

const MS_PER_HOUR = 3_600_000;

export type TrackerSettings = Pick<
  GateSettings,
  'darkHours' | 'earlyDarkHours' | 'maxScanGapHours' | 'quorumNodes' | 'quorumShare' | 'steadyHours'
>;

interface TallyRow {
  version: string | null;
  commit: string | null;
  count: number;
}

export class EvidenceTracker {
  readonly table = new NodeTable(false);
  readonly scanPoints: ScanPoint[] | null;
  private readonly entries: rules.NodeEntry[] = [];
  private readonly silent = new Set<number>();
  private readonly membership = new Membership();
  private readonly members = this.membership.whole;
  private readonly live: Live = {
    askedSelected: 0,
    answeringSelected: 0,
    onRelease: 0,
    onReleasePreprod: 0,
    askedNotSelected: 0,
    answeringNotSelected: 0,
  };
  /** Release-group nodes per release key they run on preprod other than this release: the supersession quorum. */
  private readonly tally = new Map<string, TallyRow>();
  private readonly touchedKeys = new Set<string>();
  private charge: ChargeContext | null = null;
  private readonly times: number[] = [];
  private readonly gaps: Gap[] = [];
  private readonly fellBack: FellBack[] = [];
  private readonly baselineShares: [number, number][] = [];
  private reachedAt: string | null = null;
  private supersession: Supersession | null = null;
  private supersededMs: number | null = null;
  private watched = 0;
  private previousWatched = 0;
  private nodeHours = 0;
  private crashLoops = 0;
  private switchFailures = 0;
  private preprodNodes = 0;

  constructor(
    readonly release: Release,
    private readonly settings: TrackerSettings,
    options: { timeline?: boolean } = {},
  ) {
    this.scanPoints = options.timeline ? [] : null;
  }

  /** Takes the next scan (scans must come in order). */
  observe(scan: ScanRecord): void {
    const time = Date.parse(scan.at);
    const last = this.times.at(-1);
    if (last !== undefined) this.advanceClock(last, time);
    this.times.push(time);
    const changed: [number, NodeState, NodeState][] = [];
    const platforms: [number, boolean][] = [];
    this.table.apply(scan, (i, before, after) => {
      this.onChange(i, before, after, time);
      if (after.answered) changed.push([i, before, after]);
      if (after.health !== null && after.health !== before.health) platforms.push([i, after.health.arcane]);
    });
    for (const [i, arcane] of platformsOf(scan, this.table, platforms)) this.setArcane(i, arcane);
    if (this.reachedAt === null && this.live.onReleasePreprod >= this.settings.quorumNodes) this.reach(time, scan.at);
    // A fallback in the scan a newer release is shown to be on preprod is the newer one's doing.
    if (this.reachedAt !== null && this.supersession === null) this.checkSupersession(scan.at, time);
    if (this.reachedAt !== null && this.supersession === null)
      for (const [i, before, after] of changed) this.events(i, before, after, scan.at);
    // After the events: a fallback is judged by how long the node had run what it ran before it.
    for (const [i, before, after] of changed)
      if (!before.everAnswered || releaseKeyOf(before) !== releaseKeyOf(after)) this.entries[i].keySinceMs = time;
    this.touchedKeys.clear();
    if (this.reachedAt !== null) this.noteBaseline(time);
    this.scanPoints?.push(scanPoint(scan, this.table.states, this.live));
  }

  evidence(): GateEvidence {
    const nowMs = this.times.at(-1) ?? 0;
    const reached = this.reachedAt !== null;
    const dark = countDark(this.silent, this.entries, this.table, this.membership, {
      nowMs,
      darkHours: this.settings.darkHours,
      earlyDarkHours: this.settings.earlyDarkHours,
      reachedMs: this.reachedAt === null ? null : Date.parse(this.reachedAt),
      supersededMs: this.supersededMs,
    });
    return {
      release: this.release,
      at: this.times.length === 0 ? null : new Date(nowMs).toISOString(),
      reachedAt: this.reachedAt,
      hoursSinceReached: reached ? round2(this.watched) : null,
      previousHoursSinceReached: reached ? round2(this.previousWatched) : null,
      supersededBy: this.supersession,
      nodeHours: this.nodeHours,
      preprodNodes: this.preprodNodes,
      uptake: { on: this.live.onRelease, of: this.live.answeringSelected },
      dark: dark.dark,
      darkEarly: dark.darkEarly,
      strata: strataOf(dark, this.membership, this.crashLoops),
      darkNodes: dark.byFailure,
      crashLoops: { count: this.crashLoops, of: this.members.release },
      switchFailures: { count: this.switchFailures, of: this.members.release + this.members['switch-only'] },
      fellBack: [...this.fellBack],
      gaps: [...this.gaps],
      scansLastDay: scansInLastDay(this.times, nowMs),
      baselineDarkShareDayLow:
        this.baselineShares.length === 0 ? null : Math.min(...this.baselineShares.map((b) => b[1])),
    };
  }

  /** Watched time and node-hours between the previous scan and this one; a gap adds neither. */
  private advanceClock(lastMs: number, timeMs: number): void {
    const gap = gapBetween(lastMs, timeMs, this.settings.maxScanGapHours);
    if (gap !== null) this.gaps.push(gap);
    if (this.reachedAt === null || this.supersession !== null) return;
    const hours = watchedHours(lastMs, timeMs, this.settings.maxScanGapHours);
    this.previousWatched = this.watched;
    this.watched += hours;
    this.nodeHours += this.live.onRelease * hours;
  }

  private setArcane(i: number, arcane: boolean): void {
    while (this.entries.length <= i) this.entries.push(rules.newEntry());
    this.membership.setArcane(this.entries[i], arcane);
  }

  private onChange(i: number, before: NodeState, after: NodeState, timeMs: number): void {
    while (this.entries.length <= i) this.entries.push(rules.newEntry());
    const entry = this.entries[i];
    this.count(before, -1);
    this.count(after, 1);
    if (rules.isSilent(after) && !rules.isSilent(before)) {
      entry.silentSinceMs = timeMs;
      entry.lastSilenceMs = timeMs;
      entry.silentOnRelease = chargedToRelease(this.charge, entry, after, timeMs);
      this.silent.add(i);
    } else if (!rules.isSilent(after)) {
      entry.silentSinceMs = null;
      this.silent.delete(i);
    }
    if (entry.group === 'release') this.retally(entry, after);
  }

  private events(i: number, before: NodeState, after: NodeState, at: string): void {
    const entry = this.entries[i];
    this.enter(i, after);
    const time = Date.parse(at);
    const charged = () => chargedToRelease(this.charge, entry, before, rules.troubleSince(entry, before, time));
    if (rules.isNewFallback(entry, before, after) && charged()) {
      entry.fellBack = true;
      if (entry.group !== 'release') this.move(i, 'release');
      this.crashLoops += 1;
      if (entry.arcane) this.membership.arcaneCrashLoops += 1;
      this.fellBack.push({ node: this.table.keys[i], reason: 'crash-loop', at });
    } else if (rules.isNewSwitchFailure(entry, before, after)) {
      entry.switchFailed = true;
      if (entry.group === null) this.move(i, 'switch-only');
      this.switchFailures += 1;
      this.fellBack.push({ node: this.table.keys[i], reason: 'switch-failed', at });
    }
  }

  /** Puts a node in its group (once; switch-only may still become release), and notes that it ran the release. */
  private enter(i: number, state: NodeState): void {
    const entry = this.entries[i];
    const group = rules.groupOf(state, this.release);
    if (group !== null && (entry.group === null || (entry.group === 'switch-only' && group === 'release')))
      this.move(i, group);
    if (state.answered && state.cohort === 'selected' && runsRelease(state, this.release) && !entry.ranRelease) {
      entry.ranRelease = true;
      this.preprodNodes += 1;
    }
  }

  private move(i: number, group: rules.Group): void {
    const entry = this.entries[i];
    this.membership.join(entry, group);
    if (group === 'release') this.retally(entry, this.table.states[i]);
  }

  /** The release reached preprod: every node that answers now, or went silent in the hour before, joins its group. */
  private reach(timeMs: number, at: string): void {
    this.reachedAt = at;
    const states = this.table.states;
    this.charge = contextAtReach(states, this.release, timeMs, this.settings);
    for (let i = 0; i < states.length; i += 1) {
      const entry = this.entries[i];
      if (!states[i].answered) {
        const silentSince = entry?.silentSinceMs ?? null;
        if (silentSince === null || silentSince <= timeMs - PULL_LEAD_MS) continue;
        // A node that went silent while the release was being pulled is charged now that the context is known.
        entry.silentOnRelease = chargedToRelease(this.charge, entry, states[i], silentSince);
      }
      this.enter(i, states[i]);
    }
  }

  /** Keeps the node's single vote in the tally of releases other than this one that it runs on preprod. */
  private retally(entry: rules.NodeEntry, state: NodeState): void {
    const other = state.everAnswered && state.mode === 'preprod' && !runsRelease(state, this.release);
    const key = other ? releaseKeyOf(state) : null;
    if (key === entry.tallyKey) return;
    if (entry.tallyKey !== null) {
      const row = this.tally.get(entry.tallyKey);
      if (row !== undefined) row.count -= 1;
    }
    entry.tallyKey = key;
    if (key === null) return;
    const row = this.tally.get(key) ?? { version: state.version, commit: state.commit, count: 0 };
    row.count += 1;
    this.tally.set(key, row);
    this.touchedKeys.add(key);
  }

  /** Superseded once a quorum of the release group runs a newer release (never the previous one). */
  private checkSupersession(at: string, timeMs: number): void {
    const quorum = Math.max(this.settings.quorumNodes, Math.ceil(this.settings.quorumShare * this.members.release));
    for (const key of this.touchedKeys) {
      const row = this.tally.get(key);
      if (
        row === undefined ||
        row.count < quorum ||
        !isNewerRelease(row, this.release, this.charge?.seenBeforeReach ?? new Set())
      )
        continue;
      this.supersession = { version: row.version ?? '', commit: row.commit, at, nodes: row.count };
      this.supersededMs = timeMs;
      return;
    }
  }

  /**
   * Production's dark share at each scan of the last 24 h: the relative dark margin uses its lowest value, so
   * a drop both cohorts share for a few hours (home nodes at night, a provider down) does not widen it.
   */
  private noteBaseline(timeMs: number): void {
    const darkMs = this.settings.darkHours * MS_PER_HOUR;
    let dark = 0;
    for (const i of this.silent) {
      const entry = this.entries[i];
      if (entry.group === 'baseline' && rules.isDarkAt(entry, timeMs, darkMs, this.supersededMs)) dark += 1;
    }
    this.baselineShares.push([timeMs, this.members.baseline > 0 ? dark / this.members.baseline : 0]);
    while (this.baselineShares[0][0] < timeMs - 24 * MS_PER_HOUR) this.baselineShares.shift();
  }

  private count(state: NodeState, sign: number): void {
    if (!state.asked || !state.everAnswered) return;
    const live = this.live;
    if (state.cohort === 'selected') {
      live.askedSelected += sign;
      if (!state.answered) return;
      live.answeringSelected += sign;
      if (!runsRelease(state, this.release)) return;
      live.onRelease += sign;
      if (state.mode === 'preprod') live.onReleasePreprod += sign;
    } else if (state.cohort === 'not-selected') {
      live.askedNotSelected += sign;
      if (state.answered) live.answeringNotSelected += sign;
    }
  }
}
