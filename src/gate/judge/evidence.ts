/**
 * The evidence about one release, gathered scan by scan (docs/gate.md,
 * docs/design.md §11). Work per scan is proportional to the nodes that
 * changed, so a simulation can ask for a verdict after every hourly scan of
 * 13,000 nodes. Pure: scans in, counts out.
 *
 * From the scan where the release reached preprod (a selected node on the
 * preprod branch answered with it), nodes join one of two groups: selected
 * nodes on preprod or on the release ("release"), and not-selected nodes
 * ("baseline"). A node joins at that scan if it answered then or in the scan
 * before, and later when it answers. Dark: answered, then silent for
 * `darkScans` scans in a row; counted once per node. Crash-loop fallbacks and
 * switch failures are changes of a node's reason after the release reached
 * preprod.
 */
import type { NodeState } from '../history/observation';
import type { FellBack, GateEvidence, Release, TimelinePoint } from './evidenceTypes';
import { NodeTable, type ScanRecord } from '../history/scanRecord';

const NONE = 0;
const RELEASE = 1;
const BASELINE = 2;
/** Selected nodes that failed to switch to preprod: counted for switch failures only. */
const SWITCH_ONLY = 3;

const MS_PER_HOUR = 3_600_000;

export type { FellBack, GateEvidence, Release, TimelinePoint } from './evidenceTypes';

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

export class EvidenceTracker {
  readonly table = new NodeTable();
  readonly timeline: TimelinePoint[] | null;
  private readonly group: number[] = [];
  private readonly silentSince: number[] = [];
  private readonly darkCounted: boolean[] = [];
  private readonly ran: boolean[] = [];
  /** Silent runs in the order they started; checked when they are darkScans long. */
  private queue: { node: number; since: number }[] = [];
  private head = 0;
  private scanIndex = -1;
  private reachedIndex = -1;
  private reachedAt: string | null = null;
  private supersededIndex = -1;
  private supersededBy: { version: string; at: string } | null = null;
  private readonly preprodVersions = new Set<string>();
  private at: string | null = null;
  private lastTime = 0;
  private readonly members = [0, 0, 0, 0];
  private readonly dark = [0, 0, 0, 0];
  private readonly live = {
    askedSelected: 0,
    answeringSelected: 0,
    onRelease: 0,
    askedNotSelected: 0,
    answeringNotSelected: 0,
  };
  private crashLoops = 0;
  private switchFailures = 0;
  private preprodNodes = 0;
  private nodeHours = 0;
  private readonly fellBack: FellBack[] = [];

  constructor(
    readonly release: Release,
    private readonly darkScans: number,
    options: { timeline?: boolean } = {},
  ) {
    this.timeline = options.timeline ? [] : null;
  }

  /** Takes the next scan (scans must come in order). */
  observe(scan: ScanRecord): void {
    this.scanIndex += 1;
    const time = Date.parse(scan.at);
    if (this.reachedIndex >= 0) this.nodeHours += (this.live.onRelease * (time - this.lastTime)) / MS_PER_HOUR;
    let reaches = false;
    const changed: [number, NodeState, NodeState][] = [];
    this.table.apply(scan, (i, before, after) => {
      if (this.onChange(i, before, after)) reaches = true;
      if (after.answered) changed.push([i, before, after]);
    });
    if (reaches && this.reachedIndex < 0) this.reach(scan.at);
    if (this.reachedIndex >= 0) this.noteNewReleases(changed, scan.at);
    // After a newer release reached preprod, what happens to nodes is its doing, not this one's.
    if (this.reachedIndex >= 0 && this.supersededIndex < 0) {
      for (const [i, before, after] of changed) this.events(i, before, after, scan.at);
    }
    this.detectDark();
    this.lastTime = time;
    this.at = scan.at;
    this.timeline?.push(this.point(scan));
  }

  /** Versions on preprod when this release reached it; a version new to preprod after that supersedes it. */
  private noteNewReleases(changed: readonly [number, NodeState, NodeState][], at: string): void {
    const onPreprod = (s: NodeState) =>
      s.answered && s.cohort === 'selected' && s.mode === 'preprod' && s.version !== null;
    if (this.scanIndex === this.reachedIndex) {
      for (const state of this.table.states) if (onPreprod(state)) this.preprodVersions.add(state.version as string);
      return;
    }
    if (this.supersededIndex >= 0) return;
    for (const [, , after] of changed) {
      if (onPreprod(after) && !this.preprodVersions.has(after.version as string)) {
        this.supersededIndex = this.scanIndex;
        this.supersededBy = { version: after.version as string, at };
        return;
      }
    }
  }

  evidence(): GateEvidence {
    // A superseded release was watched only until the newer one reached preprod.
    const end = this.supersededBy?.at ?? this.at;
    const hours =
      this.reachedAt === null || end === null ? null : (Date.parse(end) - Date.parse(this.reachedAt)) / MS_PER_HOUR;
    return {
      release: this.release,
      at: this.at,
      reachedAt: this.reachedAt,
      hoursSinceReached: hours,
      supersededBy: this.supersededBy,
      nodeHours: this.nodeHours,
      preprodNodes: this.preprodNodes,
      uptake: { on: this.live.onRelease, of: this.live.answeringSelected },
      dark: {
        release: { dark: this.dark[RELEASE], nodes: this.members[RELEASE] },
        baseline: { dark: this.dark[BASELINE], nodes: this.members[BASELINE] },
      },
      crashLoops: { count: this.crashLoops, of: this.members[RELEASE] },
      switchFailures: { count: this.switchFailures, of: this.members[RELEASE] + this.members[SWITCH_ONLY] },
      fellBack: [...this.fellBack],
    };
  }

  /** Returns true when this change shows the release on preprod. */
  private onChange(i: number, before: NodeState, after: NodeState): boolean {
    if (this.group.length <= i) this.grow(i);
    this.count(before, -1);
    this.count(after, 1);
    const silent = (s: NodeState) => s.asked && !s.answered && s.everAnswered;
    if (silent(after) && !silent(before)) {
      this.silentSince[i] = this.scanIndex;
      this.queue.push({ node: i, since: this.scanIndex });
    } else if (!silent(after)) {
      this.silentSince[i] = -1;
    }
    return (
      after.answered &&
      after.cohort === 'selected' &&
      after.mode === 'preprod' &&
      after.version === this.release.version
    );
  }

  private events(i: number, before: NodeState, after: NodeState, at: string): void {
    this.enter(i, after);
    const changedTo = (reason: string) => after.reason === reason && before.reason !== reason && before.everAnswered;
    if (changedTo('crash-loop') && this.group[i] !== BASELINE) {
      this.move(i, RELEASE);
      this.crashLoops += 1;
      this.fellBack.push({ node: this.table.keys[i], reason: 'crash-loop', at });
    } else if (changedTo('switch-failed') && after.cohort === 'selected' && this.group[i] !== BASELINE) {
      if (this.group[i] === NONE) this.move(i, SWITCH_ONLY);
      this.switchFailures += 1;
      this.fellBack.push({ node: this.table.keys[i], reason: 'switch-failed', at });
    }
  }

  /** Puts a node in its group (once), and counts it as running the release. */
  private enter(i: number, state: NodeState): void {
    const group = this.groupOf(state);
    if (group !== NONE && (this.group[i] === NONE || (this.group[i] === SWITCH_ONLY && group === RELEASE)))
      this.move(i, group);
    if (state.answered && state.cohort === 'selected' && state.version === this.release.version && !this.ran[i]) {
      this.ran[i] = true;
      this.preprodNodes += 1;
    }
  }

  private groupOf(state: NodeState): number {
    if (state.cohort === 'selected' && (state.mode === 'preprod' || state.version === this.release.version))
      return RELEASE;
    return state.cohort === 'not-selected' ? BASELINE : NONE;
  }

  private move(i: number, group: number): void {
    this.members[this.group[i]] -= 1;
    this.group[i] = group;
    this.members[group] += 1;
  }

  /** The scan where the release reached preprod: every node that answered now or in the scan before joins. */
  private reach(at: string): void {
    this.reachedIndex = this.scanIndex;
    this.reachedAt = at;
    const states = this.table.states;
    for (let i = 0; i < states.length; i += 1) {
      if (states[i].answered || this.silentSince[i] === this.scanIndex) this.enter(i, states[i]);
    }
  }

  private detectDark(): void {
    const last = this.scanIndex - this.darkScans + 1;
    while (this.head < this.queue.length && this.queue[this.head].since <= last) {
      const { node, since } = this.queue[this.head];
      this.head += 1;
      const group = this.group[node];
      const open = this.silentSince[node] === since && !this.darkCounted[node];
      // A run that began after a newer release reached preprod is the newer release's doing.
      const ours = this.supersededIndex < 0 || since < this.supersededIndex;
      if (!open || !ours || (group !== RELEASE && group !== BASELINE)) continue;
      this.darkCounted[node] = true;
      this.dark[group] += 1;
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private count(state: NodeState, sign: number): void {
    if (!state.asked || !state.everAnswered) return;
    const live = this.live;
    if (state.cohort === 'selected') {
      live.askedSelected += sign;
      if (!state.answered) return;
      live.answeringSelected += sign;
      if (state.version === this.release.version) live.onRelease += sign;
    } else if (state.cohort === 'not-selected') {
      live.askedNotSelected += sign;
      if (state.answered) live.answeringNotSelected += sign;
    }
  }

  private grow(i: number): void {
    for (let k = this.group.length; k <= i; k += 1) {
      this.group.push(NONE);
      this.silentSince.push(-1);
      this.darkCounted.push(false);
      this.ran.push(false);
      this.members[NONE] += 1;
    }
  }

  private point(scan: ScanRecord): TimelinePoint {
    const t = scan.totals;
    const live = this.live;
    return {
      at: scan.at,
      preprodShare: ratio(t.preprod, t.preprod + t.production),
      uptake: ratio(live.onRelease, live.answeringSelected),
      crashLoops: t.byReason['crash-loop'] ?? 0,
      availability: {
        selected: ratio(live.answeringSelected, live.askedSelected),
        notSelected: ratio(live.answeringNotSelected, live.askedNotSelected),
      },
    };
  }
}
