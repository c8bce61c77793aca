/**
 * The start records of docs/design.md §9 on disk: `.git/fluxos-preprod-starts.json` (format in
 * cohort/bootRecords.ts). Synchronous and MongoDB-free, so a start, a clean stop or a healthy mark is on
 * disk whatever the store does. The guard at the top of FluxOS's app.js records the start and hooks the
 * process's exit and stop signals; the package records a start itself when no guard ran (a CLI boot, an
 * embedding without the recipe's guard), marks the running start reached and healthy, and ends it with
 * `restart` when it restarts FluxOS itself. Every function here swallows its errors: no record is written
 * then, and the boot goes on.
 */
import { randomBytes } from 'node:crypto';
import { chownSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { checkoutOwner } from '../checkout/repoAccess';
import {
  parseStartJournal,
  START_RECORDS_FILE,
  startJournalText,
  type StartEnd,
  type StartJournal,
  type StartRecord,
} from '../cohort/bootRecords';

/** Where the guard leaves the id of the running start: one per process, not inherited by children. */
const GUARD_START = Symbol.for('fluxos-preprod.start');

export function startRecordsPath(repoDir: string): string | null {
  const gitDir = path.join(repoDir, '.git');
  try {
    return statSync(gitDir).isDirectory() ? path.join(gitDir, START_RECORDS_FILE) : null;
  } catch {
    return null;
  }
}

/** The journal, or null when the checkout has no `.git` directory to keep one in. */
export function readStartJournal(repoDir: string): StartJournal | null {
  const file = startRecordsPath(repoDir);
  if (file === null) return null;
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = null;
  }
  return parseStartJournal(text);
}

/** Read, change, write back atomically (a temp file renamed over it); false when it could not be written. */
export function updateStartJournal(repoDir: string, change: (journal: StartJournal) => void): boolean {
  const file = startRecordsPath(repoDir);
  const journal = readStartJournal(repoDir);
  if (file === null || journal === null) return false;
  change(journal);
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, startJournalText(journal), { mode: 0o600, flag: 'wx' });
    // As root on a checkout another user owns: the owner's, like everything git writes there (design §4).
    const owner = checkoutOwner(repoDir);
    if (owner !== null) chownSync(temp, owner.uid, owner.gid);
    renameSync(temp, file);
    return true;
  } catch {
    rmSync(temp, { force: true });
    return false;
  }
}

/** The id of the start the guard recorded in this process, or null when no guard ran. */
export function guardStartId(): string | null {
  const id = (globalThis as Record<symbol, unknown>)[GUARD_START];
  return typeof id === 'string' ? id : null;
}

/** Records a start (the package's own, when no guard did); returns its id, or null when nothing was written. */
export function recordStart(repoDir: string, now: Date, reached = true): string | null {
  const id = `${process.pid}-${now.getTime()}-${randomBytes(3).toString('hex')}`;
  const start: StartRecord = { id, at: now, ...(reached ? { reached: now } : {}) };
  return updateStartJournal(repoDir, (journal) => journal.starts.push(start)) ? id : null;
}

function updateStart(repoDir: string, id: string, change: (start: StartRecord) => void): boolean {
  return updateStartJournal(repoDir, (journal) => {
    const start = journal.starts.find((candidate) => candidate.id === id);
    if (start) change(start);
  });
}

export function markStartReached(repoDir: string, id: string, now: Date): boolean {
  return updateStart(repoDir, id, (start) => {
    start.reached ??= now;
  });
}

export function markStartHealthy(repoDir: string, id: string, now: Date): boolean {
  return updateStart(repoDir, id, (start) => {
    start.healthy ??= now;
  });
}

/** Ends a start as the package ended it (`restart`): its later exit or signal changes nothing. */
export function endStart(repoDir: string, id: string, now: Date, how: StartEnd, why?: string): boolean {
  return updateStart(repoDir, id, (start) => {
    start.end = { at: now, how, ...(why ? { why } : {}) };
  });
}

/** A new stint on preprod (the package switched the node there): earlier starts no longer count. */
export function startNewStint(repoDir: string, now: Date): boolean {
  return updateStartJournal(repoDir, (journal) => {
    journal.since = now;
  });
}

/** The newest start when it has not ended and its process (the pid its id begins with) still runs: FluxOS now. */
export function runningStartId(journal: StartJournal | null): string | null {
  const newest = journal?.starts[journal.starts.length - 1];
  const pid = Number.parseInt(newest?.id ?? '', 10);
  if (newest === undefined || newest.end !== undefined || !(pid > 1)) return null;
  try {
    process.kill(pid, 0);
    return newest.id;
  } catch (error) {
    // EPERM: the process runs under another user; ESRCH: it is gone (killed), and stays as it ended
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? newest.id : null;
  }
}

/**
 * The CLI's `healthy`, outside FluxOS: the newest start, when it has not ended and its process still runs, is
 * FluxOS running now, and is marked healthy.
 */
export function markRunningStartHealthy(repoDir: string, now: Date): boolean {
  return updateStartJournal(repoDir, (journal) => {
    const id = runningStartId(journal);
    const newest = journal.starts[journal.starts.length - 1];
    if (id !== null && newest !== undefined) newest.healthy ??= now;
  });
}

/** The running start of one service: the guard's, or one recorded once the package knows it runs preprod code. */
export interface StartTracker {
  current(): string | null;
  /** runAtBoot() began: the running start reached the package. */
  reached(): void;
  /** runAtBoot() ended: a start on preprod that no guard recorded is recorded now. */
  booted(outcome: { mode: string; branch: { switched: boolean } }): void;
  /** The boot was marked healthy. */
  healthy(outcome: { mode: string; branch: { switched: boolean } } | null): void;
}

export function trackStart(repoDir: string, now: () => Date): StartTracker {
  let current = guardStartId();
  const runsPreprod = (outcome: { mode: string; branch: { switched: boolean } } | null) =>
    outcome !== null && outcome.mode === 'preprod' && !outcome.branch.switched;
  return {
    current: () => current,
    reached: () => {
      if (current !== null) markStartReached(repoDir, current, now());
    },
    booted: (outcome) => {
      if (runsPreprod(outcome) && current === null) current = recordStart(repoDir, now());
    },
    healthy: (outcome) => {
      if (outcome === null) markRunningStartHealthy(repoDir, now());
      else if (runsPreprod(outcome) && current !== null) markStartHealthy(repoDir, current, now());
    },
  };
}
