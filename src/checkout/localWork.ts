import { nulEntries } from './gitOutput';

/**
 * Pure rules for keeping an operator's work through a switch
 * (docs/design.md §4): what the forced checkout would overwrite, how backups
 * are named, which old ones may go, and the commands that restore them. The
 * I/O is in saveLocalWork.ts.
 */

/** `git status --porcelain=v1 -z --untracked-files=no --no-renames`, summarised. */
export interface StatusSummary {
  /** Tracked paths with local changes (index or work tree). */
  changed: string[];
  /** Paths deleted from the index (`git rm --cached`): their work-tree file, if any, is untracked content. */
  indexDeleted: string[];
}

export function parseStatusZ(stdout: string): StatusSummary {
  const changed: string[] = [];
  const indexDeleted: string[] = [];
  for (const entry of nulEntries(stdout)) {
    // "XY path": X is the index, Y the work tree.
    if (entry.length < 4 || entry[2] !== ' ') continue;
    const xy = entry.slice(0, 2);
    const file = entry.slice(3);
    if (xy === '??' || xy === '!!') continue;
    changed.push(file);
    if (xy[0] === 'D') indexDeleted.push(file);
  }
  return { changed, indexDeleted };
}

/** One path of `git diff --name-status -z --no-renames`: A added, D deleted, M modified, T type changed, ... */
export interface DiffEntry {
  status: string;
  path: string;
}

export function parseNameStatusZ(stdout: string): DiffEntry[] {
  const entries = nulEntries(stdout);
  const diff: DiffEntry[] = [];
  for (let i = 0; i + 1 < entries.length; i += 2) {
    const status = entries[i].trim().charAt(0);
    if (/^[A-Z]$/.test(status) && entries[i + 1] !== '') diff.push({ status, path: entries[i + 1] });
  }
  return diff;
}

/**
 * Paths where the target commit puts a file that the current commit does not
 * track, so an untracked or ignored file there (or at a parent path) would be
 * overwritten; plus files deleted from the index that the target keeps.
 * Whatever the ignore rules of either branch say: they are not consulted.
 */
export function collisionCandidates(diff: readonly DiffEntry[], status: StatusSummary): string[] {
  const deletedByTarget = new Set(diff.filter((e) => e.status === 'D').map((e) => e.path));
  const added = diff.filter((e) => e.status === 'A' || e.status === 'T').map((e) => e.path);
  const untrackedKept = status.indexDeleted.filter((p) => !deletedByTarget.has(p));
  return [...new Set([...added, ...untrackedKept])];
}

/** Paths the current commit tracks that the diff mentions (a tracked file where the target puts a folder). */
export function trackedInCurrent(diff: readonly DiffEntry[]): Set<string> {
  return new Set(diff.filter((e) => e.status !== 'A').map((e) => e.path));
}

/** 'a/b/c' → ['a', 'a/b', 'a/b/c']. */
export function pathPrefixes(file: string): string[] {
  const parts = file.split('/').filter((part) => part !== '');
  return parts.map((_part, i) => parts.slice(0, i + 1).join('/'));
}

/** A backup's name: its UTC time to the second, valid as a ref component and a folder; `-2`, `-3`... if taken. */
export function backupIdFor(now: Date, existing: readonly string[]): string {
  const base = now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  if (!existing.includes(base)) return base;
  let n = 2;
  while (existing.includes(`${base}-${n}`)) n += 1;
  return `${base}-${n}`;
}

/** The time a backup id names; null for a name this package did not make. */
export function backupTime(id: string): Date | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z(-\d+)?$/.exec(id);
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match;
  const time = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  // Date.UTC rolls month 13 over into the next year: only a name that reads back the same is a time.
  if (Number.isNaN(time.getTime()) || backupIdFor(time, []) !== `${y}${mo}${d}T${h}${mi}${s}Z`) return null;
  return time;
}

export const KEEP_BACKUPS = 10;
export const KEEP_BACKUP_DAYS = 90;

/**
 * Backups that may be deleted: kept are the newest KEEP_BACKUPS and every one
 * younger than KEEP_BACKUP_DAYS, whichever keeps more. Names this package did
 * not make are never deleted.
 */
export function backupsToPrune(ids: readonly string[], now: Date): string[] {
  const dated = ids
    .map((id) => ({ id, time: backupTime(id) }))
    .filter((b): b is { id: string; time: Date } => b.time !== null)
    .sort((a, b) => b.time.getTime() - a.time.getTime() || b.id.localeCompare(a.id, 'en', { numeric: true }));
  const oldest = now.getTime() - KEEP_BACKUP_DAYS * 24 * 3600 * 1000;
  return dated
    .slice(KEEP_BACKUPS)
    .filter((b) => b.time.getTime() < oldest)
    .map((b) => b.id);
}

/** Quotes a word for a POSIX shell, for commands we print (never run): 'it'\''s'. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** "a, b, c and 2 more": a short list of paths for a log line. */
export function shortList(paths: readonly string[], max = 5): string {
  const shown = paths.slice(0, max).join(', ');
  return paths.length > max ? `${shown} and ${paths.length - max} more` : shown;
}
