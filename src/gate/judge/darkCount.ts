/**
 * The dark counts of the evidence (docs/gate.md, "Dark", "Early dark" and
 * "Strata"): release and baseline nodes dark at T, the same among silences
 * that began early (within `earlyDarkHours` of reaching preprod), and both
 * per platform stratum; plus the group sizes per stratum, kept as nodes join
 * or report their platform. Pure.
 */
import type { NodeTable } from '../history/scanRecord';
import { columnOf } from '../history/healthColumn';
import { PULL_LEAD_MS } from './charging';
import type { DarkByFailure, DarkGroups, Stratum, StratumEvidence } from './evidenceTypes';
import * as rules from './nodeLedger';

const MS_PER_HOUR = 3_600_000;
/** Bit 4 of a stored health word: ArcaneOS (src/health/encode.ts). */
const ARCANE_BIT = 1 << 4;

export const STRATA: readonly Stratum[] = ['arcane', 'non-arcane'];

export function stratumOf(entry: rules.NodeEntry): Stratum {
  return entry.arcane ? 'arcane' : 'non-arcane';
}

/**
 * The platform each node reports in this scan, as [index, arcane] pairs: from the scan's health column (how
 * histories store it) and from change records that carry a health word. The judge's table skips the column,
 * so only its ArcaneOS bit is read here.
 */
export function platformsOf(
  scan: { health?: string },
  table: NodeTable,
  changed: readonly [number, boolean][],
): [number, boolean][] {
  const out: [number, boolean][] = [...changed];
  for (const [i, word] of columnOf(scan, table.size)) out.push([i, (word & ARCANE_BIT) !== 0]);
  return out;
}

function emptyGroups(): DarkGroups {
  return { release: { dark: 0, nodes: 0 }, baseline: { dark: 0, nodes: 0 } };
}

/** Group sizes as a whole and per stratum; a node's stratum is its last reported platform. */
export class Membership {
  readonly whole: Record<rules.Group, number> = { release: 0, baseline: 0, 'switch-only': 0 };
  readonly arcane: Record<rules.Group, number> = { release: 0, baseline: 0, 'switch-only': 0 };
  arcaneCrashLoops = 0;

  join(entry: rules.NodeEntry, group: rules.Group): void {
    if (entry.group !== null) this.add(entry, -1);
    entry.group = group;
    this.add(entry, 1);
  }

  setArcane(entry: rules.NodeEntry, arcane: boolean): void {
    if (entry.arcane === arcane) return;
    if (entry.group !== null && entry.arcane) this.arcane[entry.group] -= 1;
    entry.arcane = arcane;
    if (entry.group !== null && arcane) this.arcane[entry.group] += 1;
  }

  private add(entry: rules.NodeEntry, sign: number): void {
    if (entry.group === null) return;
    this.whole[entry.group] += sign;
    if (entry.arcane) this.arcane[entry.group] += sign;
  }

  sizes(stratum: Stratum | null, group: 'release' | 'baseline'): number {
    if (stratum === null) return this.whole[group];
    return stratum === 'arcane' ? this.arcane[group] : this.whole[group] - this.arcane[group];
  }
}

export interface DarkTally {
  dark: DarkGroups;
  darkEarly: DarkGroups;
  /** Per stratum, dark only (crash loops are added by the tracker). */
  strata: Map<Stratum, DarkGroups>;
  byFailure: DarkByFailure[];
}

export interface DarkQuery {
  nowMs: number;
  darkHours: number;
  earlyDarkHours: number;
  reachedMs: number | null;
  supersededMs: number | null;
}

/** Counts the nodes dark at T among the silent ones (work proportional to the silent nodes). */
export function countDark(
  silent: Iterable<number>,
  entries: readonly rules.NodeEntry[],
  table: NodeTable,
  members: Membership,
  q: DarkQuery,
): DarkTally {
  const darkMs = q.darkHours * MS_PER_HOUR;
  const tally: DarkTally = { dark: emptyGroups(), darkEarly: emptyGroups(), strata: new Map(), byFailure: [] };
  for (const s of STRATA) tally.strata.set(s, emptyGroups());
  const earlyFrom = (q.reachedMs ?? 0) - PULL_LEAD_MS;
  const earlyTo = (q.reachedMs ?? 0) + q.earlyDarkHours * MS_PER_HOUR;
  const byFailure = new Map<string, string[]>();
  for (const i of silent) {
    const entry = entries[i];
    if (!rules.isDarkAt(entry, q.nowMs, darkMs, q.supersededMs)) continue;
    const group = entry.group;
    tally.dark[group].dark += 1;
    (tally.strata.get(stratumOf(entry)) as DarkGroups)[group].dark += 1;
    const since = entry.silentSinceMs as number;
    if (q.reachedMs !== null && since >= earlyFrom && since <= earlyTo) tally.darkEarly[group].dark += 1;
    if (group !== 'release') continue;
    const failure = table.states[i].failure ?? 'unknown';
    const nodes = byFailure.get(failure) ?? [];
    nodes.push(table.keys[i]);
    byFailure.set(failure, nodes);
  }
  for (const group of ['release', 'baseline'] as const) {
    tally.dark[group].nodes = members.sizes(null, group);
    tally.darkEarly[group].nodes = members.sizes(null, group);
    for (const s of STRATA) (tally.strata.get(s) as DarkGroups)[group].nodes = members.sizes(s, group);
  }
  const list = [...byFailure].map(([failure, nodes]) => ({ failure, nodes: nodes.sort() }));
  tally.byFailure = list.sort((a, b) => b.nodes.length - a.nodes.length);
  return tally;
}

/** The strata of the evidence: each stratum's dark counts and its crash-loop fallbacks among its release nodes. */
export function strataOf(tally: DarkTally, members: Membership, crashLoops: number): StratumEvidence[] {
  return STRATA.map((stratum) => {
    const arcane = stratum === 'arcane';
    const count = arcane ? members.arcaneCrashLoops : crashLoops - members.arcaneCrashLoops;
    return {
      stratum,
      dark: tally.strata.get(stratum) as DarkGroups,
      crashLoops: { count: Math.min(count, members.sizes(stratum, 'release')), of: members.sizes(stratum, 'release') },
    };
  });
}
