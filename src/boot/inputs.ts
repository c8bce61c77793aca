/** The boot's inputs (docs/design.md §3): the operator's flags, HEAD, the stored documents, the restart marker. */
import * as path from 'node:path';
import type { Head } from '../checkout';
import { parseBootHealth } from '../cohort/records';
import { parseUserFlags, readUserFlags } from '../config/userconfig';
import { describeError } from '../errors';
import type { StateStore } from '../state';
import { BOOT_HEALTH_KEY, COHORT_KEY, OPT_OUT_KEY, type StoredDocument, type UserFlags } from '../types';
import type { RestartMarker } from './restartMarker';

/** The cohort, opt-out and crash-loop documents. */
export interface StateDocs {
  cohortDoc: StoredDocument | null;
  optOutDoc: StoredDocument | null;
  healthDoc: StoredDocument | null;
}

export const NO_STATE_DOCS: StateDocs = Object.freeze({ cohortDoc: null, optOutDoc: null, healthDoc: null });

/** The flags, and why they could not be read (then the node is opted out for this boot only). */
export interface FlagsRead {
  flags: UserFlags;
  problem: string | null;
}

/** Everything the decision and the plan read, before anything is written. */
export interface Inputs extends FlagsRead {
  head: Head | null;
  /** Why HEAD could not be read: git's own words. */
  headProblem: string | null;
  docs: StateDocs;
  /** Why the store could not be read; null when it was. */
  storeProblem: string | null;
  /** An earlier boot began a switch and did not finish it. */
  unfinished: boolean;
  marker: RestartMarker | null;
}

/**
 * Reads the three documents. `readOnly` (status) uses the store's side-effect-free
 * read when it has one, so not even a dead writer's lock is removed.
 */
export async function readStateDocs(store: StateStore, readOnly = false): Promise<StateDocs> {
  const read = (key: string) => (readOnly && store.peek ? store.peek(key) : store.get(key));
  const [cohortDoc, optOutDoc, healthDoc] = await Promise.all([
    read(COHORT_KEY),
    read(OPT_OUT_KEY),
    read(BOOT_HEALTH_KEY),
  ]);
  return { cohortDoc, optOutDoc, healthDoc };
}

/** The flags of userconfig.js: the path given, the object FluxOS passed, or `<repoDir>/config/userconfig.js`. */
export function readFlags(userconfig: string | Record<string, unknown> | undefined, repoDir: string): FlagsRead {
  try {
    if (userconfig !== undefined && typeof userconfig === 'object' && userconfig !== null) {
      return { flags: parseUserFlags(userconfig, 'the userconfig object FluxOS passed in'), problem: null };
    }
    const file = typeof userconfig === 'string' ? userconfig : path.join(repoDir, 'config', 'userconfig.js');
    return { flags: readUserFlags(file), problem: null };
  } catch (error) {
    // The operator said something we cannot read: an opt-out for this boot, the safer mistake (rule 8).
    return { flags: { development: false, disablePreProd: undefined }, problem: describeError(error) };
  }
}

/**
 * status only: whether the open mark in the crash-loop counter is a boot that
 * has ended, so that the next boot will count it (docs/design.md §8, §9). A boot
 * marks itself open and its healthy timer closes the mark after
 * `healthyAfterMs`; a mark younger than that may be the FluxOS running now,
 * which status must not count as a crash the next boot will not count either.
 * An older one outlived its timer only if its process did not: it counts.
 * `ended` is what the start records say about that boot when they say
 * anything (a crash, a clean stop, still running); null when they do not.
 */
export function statusCountsOpenBoot(
  healthDoc: StoredDocument | null,
  now: Date,
  healthyAfterMs: number,
  ended: boolean | null = null,
): boolean {
  if (ended !== null) return ended;
  const openSince = parseBootHealth(healthDoc)?.openSince;
  if (openSince === undefined) return true;
  return now.getTime() - openSince.getTime() >= healthyAfterMs;
}
