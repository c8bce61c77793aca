/**
 * The restart marker (docs/design.md §9): a small file in the git dir that the
 * package writes just before it ends or restarts the process itself (an exit
 * for the supervisor, a touch for nodemon, the end of a detached install). The
 * next boot reads it: the boot the package ended is not an unhealthy preprod
 * boot. A background recheck that found preprod unusable says so in it, so the
 * next boot checks the remote before staying on preprod.
 */
import { writeFileAtomic } from '../os/atomicWrite';
import { promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';

export const RESTART_MARKER_FILE = 'fluxos-preprod-restart.json';

/** Who wrote the marker; `finding` restarted nothing (strategy none) and only asks the next boot to look again. */
export type RestartCause = 'switch' | 'install' | 'recheck' | 'deferred' | 'finding';

export interface RestartMarker {
  by: RestartCause | string;
  /** When the package ended the process. */
  at: Date;
  /** The next boot must check the remote before it stays on preprod. */
  recheck: boolean;
}

/** The marker's path, or null when the checkout has no `.git` directory (nothing to mark). */
export function restartMarkerPath(repoDir: string): string | null {
  const gitDir = path.join(repoDir, '.git');
  try {
    return statSync(gitDir).isDirectory() ? path.join(gitDir, RESTART_MARKER_FILE) : null;
  } catch {
    return null;
  }
}

/** The marker's content as written; `at` is the time of writing. Pure. */
export function restartMarkerText(by: RestartCause, at: Date, recheck = false): string {
  return `${JSON.stringify({ by, at: at.toISOString(), ...(recheck ? { recheck: true } : {}) })}\n`;
}

/** Parses a marker; null for anything unreadable (a torn or hand-made file marks nothing). Pure. */
export function parseRestartMarker(text: string): RestartMarker | null {
  try {
    const parsed = JSON.parse(text) as { by?: unknown; at?: unknown; recheck?: unknown };
    const at = typeof parsed.at === 'string' ? new Date(parsed.at) : null;
    if (at === null || Number.isNaN(at.getTime())) return null;
    return { by: typeof parsed.by === 'string' ? parsed.by : 'unknown', at, recheck: parsed.recheck === true };
  } catch {
    return null;
  }
}

export async function readRestartMarker(repoDir: string): Promise<RestartMarker | null> {
  const file = restartMarkerPath(repoDir);
  if (file === null) return null;
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  return text === null ? null : parseRestartMarker(text);
}

/** Writes the marker atomically (os/atomicWrite.ts); false when it could not be written. */
export async function writeRestartMarker(
  repoDir: string,
  by: RestartCause,
  at: Date,
  recheck = false,
): Promise<boolean> {
  const file = restartMarkerPath(repoDir);
  if (file === null) return false;
  try {
    await writeFileAtomic(file, restartMarkerText(by, at, recheck));
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the marker this boot read, and only that one: a marker written since
 * (a detached install that is about to restart this very boot) must stay for
 * the next boot.
 */
export async function removeRestartMarker(repoDir: string, read: RestartMarker): Promise<void> {
  const file = restartMarkerPath(repoDir);
  if (file === null) return;
  const now = await readRestartMarker(repoDir);
  if (now !== null && now.at.getTime() === read.at.getTime() && now.by === read.by) {
    await fs.rm(file, { force: true }).catch(() => undefined);
  }
}
