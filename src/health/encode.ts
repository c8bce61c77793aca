/**
 * The compact form of a node's health signals in the history (docs/health.md).
 * Pure. Per node and scan the signals become one small integer (`h`, a
 * bitfield of coarse levels) plus three values kept apart because they
 * change rarely: the boot minute (`b`), the provider (`p`) and the country
 * (`g`). The history stores a node's values only when they change (as it does
 * its version and mode), so the levels are coarse, with hysteresis, and
 * placed where health changes: a healthy node's word stays the same from
 * scan to scan. A scan's changed words can also be written as one compact
 * column (encodeHealthColumn) keyed by the node's index in the history.
 *
 * Layout of `h` (28 bits, a safe integer and a valid 32-bit int):
 *   bits 0–1  confirmed         0 unknown, 1 no, 2 yes
 *   bits 2–3  benchmark passing 0 unknown, 1 no, 2 yes
 *   bit  4    ArcaneOS
 *   bits 5–7  degraded          0 no, else 1 + index in DEGRADED_CLASSES
 *   bits 8–10 peers in          0 unknown, 1 + level of PEER_LEVELS
 *   bits 11–13 peers out        0 unknown, 1 + level of PEER_LEVELS
 *   bits 14–16 block lag        0 unknown, 1 + level of LAG_LEVELS
 *   bits 17–19 answer time      0 unknown, 1 + level of ANSWER_LEVELS
 *   bits 20–27 running apps     0 unknown, else 1 + min(apps, 254)
 */
import { DEGRADED_CLASSES, MAX_PROVIDER, type DegradedClass, type HealthSignals } from './signals';

/** Lower edges of the peer-count levels: none, 1–3 (few), 4 or more. */
export const PEER_LEVELS = [0, 1, 4] as const;
/** Lower edges of the block-lag levels: 0–5, 6–20, 21–100, more than 100 blocks behind the median. */
export const LAG_LEVELS = [0, 6, 21, 101] as const;
/** Lower edges of the answer-time levels: under 2 s, 2 s or more (the scanner's deadline is 5 s). */
export const ANSWER_LEVELS = [0, 2000] as const;
const MAX_APPS = 254;

/** What one scan recorded of a node's health, decoded. */
export interface StoredHealth {
  confirmed: boolean | null;
  benchmarkPassing: boolean | null;
  arcane: boolean;
  degraded: DegradedClass | null;
  /** Levels: an index into PEER_LEVELS, LAG_LEVELS, ANSWER_LEVELS; null when unknown. */
  peersInLevel: number | null;
  peersOutLevel: number | null;
  lagLevel: number | null;
  answerLevel: number | null;
  runningApps: number | null;
  /** Unix minutes when the node's FluxOS started; null when unknown. */
  bootMinute: number | null;
  provider: string | null;
  country: string | null;
}

/** The keys a node's change record gets for its health: only those that changed. */
export interface HealthChange {
  h?: number;
  b?: number;
  p?: string;
  g?: string;
}

/** The level of `value` among ascending lower edges; null for null. */
export function levelOf(value: number | null, edges: readonly number[]): number | null {
  if (value === null) return null;
  let level = 0;
  while (level + 1 < edges.length && value >= edges[level + 1]) level += 1;
  return level;
}

function tri(value: boolean | null): number {
  return value === null ? 0 : value ? 2 : 1;
}

function untri(code: number): boolean | null {
  return code === 0 ? null : code === 2;
}

function plusOne(level: number | null): number {
  return level === null ? 0 : level + 1;
}

function minusOne(code: number): number | null {
  return code === 0 ? null : code - 1;
}

/**
 * How far past an edge a value must go before a node's level moves, as a
 * share of the edge: a node answering in 0.9–1.1 s would otherwise change
 * level on every other scan and fill the history with noise.
 */
export const HYSTERESIS = 0.25;

/**
 * The level of `value`, kept at `previous` while the value stays inside the
 * previous level's range widened by HYSTERESIS at both ends.
 */
export function stickyLevel(value: number | null, previous: number | null, edges: readonly number[]): number | null {
  const level = levelOf(value, edges);
  if (value === null || level === null || previous === null || previous === level) return level;
  const low = edges[previous] - Math.round(edges[previous] * HYSTERESIS);
  const next = edges[previous + 1];
  const high = next === undefined ? Infinity : next + Math.round(next * HYSTERESIS);
  return value >= low && value < high ? previous : level;
}

/**
 * A scan's signals of one node (with its lag and answer time) as stored;
 * `before` is what the node's last scan stored, for the levels' hysteresis.
 */
export function toStored(
  signals: HealthSignals,
  lag: number | null,
  answerMs: number | null,
  before: StoredHealth | null = null,
): StoredHealth {
  return {
    confirmed: signals.confirmed,
    benchmarkPassing: signals.benchmarkPassing,
    arcane: signals.arcane,
    degraded: signals.degraded,
    peersInLevel: stickyLevel(signals.peersIn, before?.peersInLevel ?? null, PEER_LEVELS),
    peersOutLevel: stickyLevel(signals.peersOut, before?.peersOutLevel ?? null, PEER_LEVELS),
    lagLevel: stickyLevel(lag, before?.lagLevel ?? null, LAG_LEVELS),
    answerLevel: stickyLevel(
      answerMs === null ? null : Math.max(0, answerMs),
      before?.answerLevel ?? null,
      ANSWER_LEVELS,
    ),
    runningApps: signals.runningApps === null ? null : Math.min(signals.runningApps, MAX_APPS),
    bootMinute: signals.bootedAt === null ? null : Math.floor(signals.bootedAt / 60),
    provider: signals.provider === null ? null : signals.provider.slice(0, MAX_PROVIDER),
    country: signals.country,
  };
}

/** The bitfield `h` of a stored health. */
export function healthWord(s: StoredHealth): number {
  const degraded = s.degraded === null ? 0 : DEGRADED_CLASSES.indexOf(s.degraded) + 1;
  const apps = s.runningApps === null ? 0 : Math.min(s.runningApps, MAX_APPS) + 1;
  return (
    tri(s.confirmed) |
    (tri(s.benchmarkPassing) << 2) |
    ((s.arcane ? 1 : 0) << 4) |
    (degraded << 5) |
    (plusOne(s.peersInLevel) << 8) |
    (plusOne(s.peersOutLevel) << 11) |
    (plusOne(s.lagLevel) << 14) |
    (plusOne(s.answerLevel) << 17) |
    (apps << 20)
  );
}

/** Largest valid word: 28 bits. */
export const MAX_WORD = 2 ** 28 - 1;

/** Whether a stored `h` is a word this version can read (a history line is input like any other). */
export function isHealthWord(value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_WORD) return false;
  const degraded = (value >> 5) & 7;
  const levels = [
    [(value >> 8) & 7, PEER_LEVELS.length],
    [(value >> 11) & 7, PEER_LEVELS.length],
    [(value >> 14) & 7, LAG_LEVELS.length],
    [(value >> 17) & 7, ANSWER_LEVELS.length],
  ];
  return (
    (value & 3) !== 3 &&
    ((value >> 2) & 3) !== 3 &&
    degraded <= DEGRADED_CLASSES.length &&
    levels.every(([code, count]) => code <= count)
  );
}

/** A node's health with every signal unknown but its platform: a fresh object each call (callers fill it in). */
export function unknownHealth(arcane = false): StoredHealth {
  return {
    ...fromWord(0, { bootMinute: null, provider: null, country: null }),
    arcane,
  };
}

/** The fields of a word (the rarely changing values come from `rest`). */
export function fromWord(word: number, rest: Pick<StoredHealth, 'bootMinute' | 'provider' | 'country'>): StoredHealth {
  const degraded = (word >> 5) & 7;
  const apps = (word >> 20) & 0xff;
  return {
    confirmed: untri(word & 3),
    benchmarkPassing: untri((word >> 2) & 3),
    arcane: ((word >> 4) & 1) === 1,
    degraded: degraded === 0 ? null : DEGRADED_CLASSES[degraded - 1],
    peersInLevel: minusOne((word >> 8) & 7),
    peersOutLevel: minusOne((word >> 11) & 7),
    lagLevel: minusOne((word >> 14) & 7),
    answerLevel: minusOne((word >> 17) & 7),
    runningApps: apps === 0 ? null : apps - 1,
    ...rest,
  };
}

/** The change record between two scans of a node; null when nothing changed. `before` null: the first scan. */
export function healthChange(before: StoredHealth | null, after: StoredHealth): HealthChange | null {
  const change: HealthChange = {};
  const word = healthWord(after);
  if (before === null || healthWord(before) !== word) change.h = word;
  // Boot time, provider and country are the last known values: a scan that lacks them (a degraded node) keeps them.
  if (after.bootMinute !== null && before?.bootMinute !== after.bootMinute) change.b = after.bootMinute;
  if (after.provider !== null && before?.provider !== after.provider) change.p = after.provider;
  if (after.country !== null && before?.country !== after.country) change.g = after.country;
  return Object.keys(change).length === 0 ? null : change;
}

/** Boot minutes past this (year 3000) are not believed. */
const MAX_BOOT_MINUTE = Math.floor(Date.parse('3000-01-01T00:00:00Z') / 60_000);

/** A node's stored health after a change record (the reader's side); bad values leave the field as it was. */
export function applyHealthChange(
  before: StoredHealth | null,
  change: HealthChange | Record<string, unknown>,
): StoredHealth | null {
  const rest = {
    bootMinute: before?.bootMinute ?? null,
    provider: before?.provider ?? null,
    country: before?.country ?? null,
  };
  const { b, p, g } = change as Record<string, unknown>;
  if (typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= MAX_BOOT_MINUTE) rest.bootMinute = b;
  if (typeof p === 'string' && p.length <= MAX_PROVIDER && /^[\x20-\x7e]+$/.test(p)) rest.provider = p;
  if (typeof g === 'string' && /^[A-Z]{2}$/.test(g)) rest.country = g;
  const { h } = change as Record<string, unknown>;
  if (isHealthWord(h)) return fromWord(h, rest);
  return before === null ? null : { ...before, ...rest };
}

/** Most entries one column may hold: more nodes than any fleet (a line is input to the reader, too). */
export const MAX_COLUMN_ENTRIES = 100_000;
const COLUMN_ENTRY = /^([0-9a-z]{1,4})\.([0-9a-z]{1,6})$/;

/**
 * One scan's changed words as a string: `index.word` pairs in base 36, comma
 * separated, where `index` is the node's position in the history's node table.
 * About 10 bytes a change against about 40 for a `{"n":"ip:port","h":…}` record.
 */
export function encodeHealthColumn(entries: readonly (readonly [number, number])[]): string {
  return entries.map(([index, word]) => `${index.toString(36)}.${word.toString(36)}`).join(',');
}

/**
 * The pairs of a column, or null when any part is malformed: an index not
 * below `nodeCount`, a word that is not a valid health word, too many
 * entries. Bounded: the text is checked for length before it is split.
 */
export function decodeHealthColumn(text: unknown, nodeCount: number): [number, number][] | null {
  if (typeof text !== 'string' || text.length > MAX_COLUMN_ENTRIES * 12) return null;
  if (text === '') return [];
  const out: [number, number][] = [];
  for (const part of text.split(',')) {
    const match = COLUMN_ENTRY.exec(part);
    if (match === null) return null;
    const index = Number.parseInt(match[1], 36);
    const word = Number.parseInt(match[2], 36);
    if (index >= nodeCount || !isHealthWord(word)) return null;
    out.push([index, word]);
  }
  return out.length > MAX_COLUMN_ENTRIES ? null : out;
}
