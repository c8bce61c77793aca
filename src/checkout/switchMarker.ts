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
}

export const SWITCH_MARKER = 'fluxos-preprod-switch.json';

/** The marker's content; an unreadable one assumes the worst (the install too may be unfinished). Pure. */
export function parseSwitchMarker(text: string): PendingSwitch {
  try {
    const parsed = JSON.parse(text) as Partial<PendingSwitch> | null;
    if (typeof parsed !== 'object' || parsed === null) return { branch: '', depsChanged: true };
    const branch = typeof parsed.branch === 'string' ? parsed.branch : '';
    return { branch, depsChanged: parsed.depsChanged !== false };
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
