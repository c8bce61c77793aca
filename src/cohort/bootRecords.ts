/**
 * THE rule for "which preprod starts were unhealthy" (docs/design.md §9), pure, over the start records
 * that the guard at the top of FluxOS's app.js and the package keep in `.git/fluxos-preprod-starts.json`.
 * The boot folds them into the store's crash-loop counter (cohort/health.ts), `status` reads them the same
 * way, and the guard (examples/fluxos/preprodGuard.js, plain JavaScript) applies the same rule to decide
 * a fallback when the package never runs; a unit test holds the two to the same table of cases.
 *
 * The file, one JSON object (dates are ISO-8601 strings):
 *
 *     { "since": date?,        starts before this are ignored (the guard's fallback, a new stint on preprod)
 *       "fellBackAt": date?,   the guard put the node on production by itself (the package stores it as crash-loop)
 *       "starts": [            the last MAX_START_RECORDS starts on the preprod branch, oldest first
 *         { "id": string,      "<pid>-<ms>[-<random>]", unique per start; the pid first, so a reader (status)
 *                              can tell a start whose process still runs (no end yet) from one that was killed
 *           "at": date,        when the start began
 *           "reached": date?,  the package ran in this start
 *           "healthy": date?,  this start was marked healthy
 *           "end": { "at": date, "how": "clean" | "crash" | "restart" | "watchdog" | "fallback",
 *                    "why": string? } } ] }   how it ended; absent when it was killed (SIGKILL, OOM, power)
 */

/** How a start ended, as recorded by the process itself (the guard's exit and signal hooks, or the package). */
export type StartEnd = 'clean' | 'crash' | 'restart' | 'watchdog' | 'fallback';

export interface StartRecord {
  id: string;
  at: Date;
  reached?: Date;
  healthy?: Date;
  end?: { at: Date; how: StartEnd; why?: string };
}

export interface StartJournal {
  since?: Date;
  fellBackAt?: Date;
  starts: StartRecord[];
}

/** How many starts the file keeps: more than any maxUnhealthyBoots worth using. */
export const MAX_START_RECORDS = 20;

export const START_RECORDS_FILE = 'fluxos-preprod-starts.json';

/**
 * What one ended start was:
 * - `healthy`: marked healthy (it breaks a row of unhealthy starts);
 * - `neutral`: a clean stop (SIGTERM, SIGINT, SIGHUP, SIGUSR2: pm2, systemd, nodemon, operators), a
 *   restart the package made itself, the guard's own fallback, or exit 0 after the package ran;
 * - `unhealthy`: a crash: an uncaught exception or non-zero exit, a kill that left no end (SIGKILL, OOM),
 *   a restart the watchdog made because FluxOS did not answer, or any other end before the package ran.
 */
export function classifyStart(start: StartRecord): 'healthy' | 'neutral' | 'unhealthy' {
  if (start.healthy !== undefined) return 'healthy';
  const how = start.end?.how;
  if (how === 'restart' || how === 'fallback') return 'neutral';
  if (how === 'clean') return start.end?.why === 'exit 0' && start.reached === undefined ? 'unhealthy' : 'neutral';
  return 'unhealthy';
}

export interface StartTally {
  /** Unhealthy starts after the last healthy one among those tallied. */
  unhealthy: number;
  /** A healthy start was tallied: the stored count starts again from 0. */
  reset: boolean;
  /** The id of the newest start tallied, for the store (countedThrough); null when none was. */
  newest: string | null;
}

export interface TallyFrom {
  /** The id of the newest start already counted (the store's countedThrough): only later ones are tallied. */
  countedThrough?: string | null;
  /** Starts before this (the cohort period's draw) are not tallied. */
  notBefore?: Date | null;
  /** The running start, never tallied. */
  currentId: string | null;
  /** The package's restart marker: the last start begun before it, and not ended before it, was the package's doing. */
  restartMarkerAt?: Date | null;
}

/** The start a restart marker excuses: the last one begun at or before it that had not ended before it. */
function excusedByMarker(starts: StartRecord[], markerAt: Date | null | undefined): StartRecord | null {
  if (!markerAt) return null;
  const before = starts.filter((start) => start.at.getTime() <= markerAt.getTime());
  const last = before[before.length - 1];
  return last && (last.end === undefined || last.end.at.getTime() >= markerAt.getTime()) ? last : null;
}

/**
 * The starts not yet counted: after the one the store counted last, not before the cohort period nor the
 * journal's `since`, other than the running one. Pure.
 */
export function tallyStarts(journal: StartJournal, from: TallyFrom): StartTally {
  const notBefore = Math.max(from.notBefore?.getTime() ?? Number.NEGATIVE_INFINITY, journal.since?.getTime() ?? 0);
  const counted = journal.starts.findIndex((start) => start.id === from.countedThrough);
  const excused = excusedByMarker(journal.starts, from.restartMarkerAt);
  const tally: StartTally = { unhealthy: 0, reset: false, newest: null };
  for (const start of journal.starts.slice(counted + 1)) {
    if (start.id === from.currentId || start.at.getTime() < notBefore) continue;
    const kind = start === excused && start.healthy === undefined ? 'neutral' : classifyStart(start);
    if (kind === 'healthy') {
      tally.unhealthy = 0;
      tally.reset = true;
    } else if (kind === 'unhealthy') tally.unhealthy += 1;
    tally.newest = start.id;
  }
  return tally;
}

/** Unhealthy starts in a row at the end of the journal (the guard's fallback test), the running one aside. Pure. */
export function unhealthyInRow(journal: StartJournal, currentId: string | null): number {
  return tallyStarts(journal, { currentId }).unhealthy;
}

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const ENDS: readonly string[] = ['clean', 'crash', 'restart', 'watchdog', 'fallback'];

function parseStart(value: unknown): StartRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const raw = value as Record<string, unknown>;
  const at = dateOf(raw.at);
  if (typeof raw.id !== 'string' || at === undefined) return null;
  const start: StartRecord = { id: raw.id, at };
  const reached = dateOf(raw.reached);
  const healthy = dateOf(raw.healthy);
  if (reached) start.reached = reached;
  if (healthy) start.healthy = healthy;
  const end = raw.end as Record<string, unknown> | undefined;
  const endAt = dateOf(end?.at);
  if (endAt && typeof end?.how === 'string' && ENDS.includes(end.how)) {
    start.end = { at: endAt, how: end.how as StartEnd, ...(typeof end.why === 'string' ? { why: end.why } : {}) };
  }
  return start;
}

/** Parses the file; anything unreadable is an empty journal (a torn or hand-made file counts nothing). Pure. */
export function parseStartJournal(text: string | null): StartJournal {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text ?? '') as Record<string, unknown>;
  } catch {
    return { starts: [] };
  }
  if (typeof raw !== 'object' || raw === null || !Array.isArray(raw.starts)) return { starts: [] };
  const journal: StartJournal = { starts: [] };
  const since = dateOf(raw.since);
  const fellBackAt = dateOf(raw.fellBackAt);
  if (since) journal.since = since;
  if (fellBackAt) journal.fellBackAt = fellBackAt;
  for (const value of raw.starts) {
    const start = parseStart(value);
    if (start) journal.starts.push(start);
  }
  journal.starts.sort((a, b) => a.at.getTime() - b.at.getTime());
  return journal;
}

/** The file's text for a journal, keeping the newest MAX_START_RECORDS starts. Pure. */
export function startJournalText(journal: StartJournal): string {
  return `${JSON.stringify({ ...journal, starts: journal.starts.slice(-MAX_START_RECORDS) })}\n`;
}
