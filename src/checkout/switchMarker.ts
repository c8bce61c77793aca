import * as fs from 'node:fs/promises';
import { writeFileAtomic } from '../os/atomicWrite';
import * as path from 'node:path';
import { PreprodError, describeError } from '../errors';

/**
 * The switch marker, in the git dir: written before a switch changes
 * anything, removed by completeSwitch() once the switch and its install are
 * done. Found at boot, it means the last switch was cut short: HEAD may
 * already name the right branch while the work tree, the index or
 * node_modules are half old.
 */

/** A switch that a boot started and did not finish: killed, disk full, read-only file system. */
export interface PendingSwitch {
  /** The branch it was putting the checkout on; '' when the marker cannot be read. */
  branch: string;
  /** It changed the dependencies, so its install may not have run to the end. */
  depsChanged: boolean;
  /**
   * Set once what the checkout would overwrite was saved and the forced checkout began: the commits it
   * went from and to. Files of that diff found changed later are the checkout's own writes (a disk that
   * filled up part way), not the operator's: their earlier content is in that switch's backup.
   */
  checkout?: { from: string; to: string };
}

export const SWITCH_MARKER = 'fluxos-preprod-switch.json';

/** The marker's content; an unreadable one assumes the worst (the install too may be unfinished). Pure. */
export function parseSwitchMarker(text: string): PendingSwitch {
  try {
    const parsed = JSON.parse(text) as Partial<PendingSwitch> | null;
    if (typeof parsed !== 'object' || parsed === null) return { branch: '', depsChanged: true };
    const branch = typeof parsed.branch === 'string' ? parsed.branch : '';
    const pending: PendingSwitch = { branch, depsChanged: parsed.depsChanged !== false };
    const checkout = parsed.checkout as { from?: unknown; to?: unknown } | undefined;
    // Only well-formed commit ids: anything else means "not known", and every change counts as the operator's.
    const commit = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{40,64}$/.test(value);
    if (typeof checkout === 'object' && checkout !== null && commit(checkout.from) && commit(checkout.to)) {
      pending.checkout = { from: checkout.from, to: checkout.to };
    }
    return pending;
  } catch {
    return { branch: '', depsChanged: true };
  }
}

/** The switch a previous boot left unfinished, null when there is none. Reads one file, no git process. */
export async function readSwitchMarker(gitDir: string): Promise<PendingSwitch | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(gitDir, SWITCH_MARKER), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PreprodError('git-failed', `Cannot read ${SWITCH_MARKER} in ${gitDir}: ${describeError(error)}.`, {
      cause: error,
    });
  }
  return parseSwitchMarker(text);
}

/** Written atomically (os/atomicWrite.ts): a reader sees the old marker or the new one, never half. */
export async function writeSwitchMarker(gitDir: string, pending: PendingSwitch): Promise<void> {
  const file = path.join(gitDir, SWITCH_MARKER);
  try {
    await writeFileAtomic(file, `${JSON.stringify(pending)}\n`);
  } catch (error) {
    throw new PreprodError('git-failed', `Cannot write ${file}: ${describeError(error)}.`, { cause: error });
  }
}

export async function removeSwitchMarker(gitDir: string): Promise<void> {
  await fs.rm(path.join(gitDir, SWITCH_MARKER), { force: true });
}
