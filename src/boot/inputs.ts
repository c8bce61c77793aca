/** The boot's inputs: the operator's flags and the stored documents (docs/design.md §3). */
import * as path from 'node:path';
import { parseUserFlags, readUserFlags } from '../config/userconfig';
import { describeError, PreprodError } from '../errors';
import type { Logger } from '../logger';
import type { StateStore } from '../state';
import { BOOT_HEALTH_KEY, COHORT_KEY, OPT_OUT_KEY, type StoredDocument, type UserFlags } from '../types';

/** The cohort, opt-out and crash-loop documents. */
export interface StateDocs {
  cohortDoc: StoredDocument | null;
  optOutDoc: StoredDocument | null;
  healthDoc: StoredDocument | null;
}

export const NO_STATE_DOCS: StateDocs = Object.freeze({ cohortDoc: null, optOutDoc: null, healthDoc: null });

export async function readStateDocs(store: StateStore | null): Promise<StateDocs> {
  if (!store) throw new PreprodError('store-unavailable', 'No state store was given.');
  const [cohortDoc, optOutDoc, healthDoc] = await Promise.all([
    store.get(COHORT_KEY),
    store.get(OPT_OUT_KEY),
    store.get(BOOT_HEALTH_KEY),
  ]);
  return { cohortDoc, optOutDoc, healthDoc };
}

/** The flags of userconfig.js: the path given, the object FluxOS passed, or `<repoDir>/config/userconfig.js`. */
export function readFlags(
  userconfig: string | Record<string, unknown> | undefined,
  repoDir: string,
  logger: Logger,
): UserFlags {
  try {
    if (userconfig !== undefined && typeof userconfig === 'object' && userconfig !== null) {
      return parseUserFlags(userconfig, 'the userconfig object FluxOS passed in');
    }
    return readUserFlags(typeof userconfig === 'string' ? userconfig : path.join(repoDir, 'config', 'userconfig.js'));
  } catch (error) {
    // The operator said something we cannot read: take it as an opt-out, the safer mistake.
    logger.error(`${describeError(error)} Treating this node as opted out until it is fixed.`);
    return { development: false, disablePreProd: true };
  }
}
