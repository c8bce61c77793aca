import { PreprodError } from '../errors';
import type { PreProdSettings } from '../types';
import type { Checkout } from './index';
import { isManagedBranch } from './plan';

/**
 * For the Flux watchdog (docs/design.md §9): the package.json version at the
 * remote tip of the branch the checkout tracks, so the watchdog compares a
 * preprod node with preprod, not with master.
 */

export interface TrackedVersion {
  /** The branch whose remote tip was read: the current branch when it is managed, else the production branch. */
  branch: string;
  remote: string;
  /** Remote tip of `branch` after the fetch. */
  commit: string;
  /** `version` of package.json at that commit. */
  version: string;
}

export type TrackedVersionSettings = Pick<PreProdSettings, 'branch' | 'productionBranch' | 'remote' | 'fetchTimeoutMs'>;

/** What reading the tracked version needs of a checkout. */
export interface TrackedVersionSource extends Pick<Checkout, 'dir' | 'head' | 'findRemote' | 'fetch' | 'remoteTip'> {
  readFileAt(ref: string, filePath: string): Promise<string | null>;
}

/** `version` of a package.json read at `where` (`remote/branch`) and `commit`; one sentence if none. Pure. */
export function packageVersion(text: string | null, where: string, commit: string): string {
  let version: unknown;
  try {
    version = text === null ? undefined : (JSON.parse(text) as { version?: unknown } | null)?.version;
  } catch (error) {
    throw new PreprodError('git-failed', `package.json at ${where} is not valid JSON.`, { cause: error });
  }
  if (typeof version !== 'string' || version === '') {
    throw new PreprodError('git-failed', `package.json at ${where} (${commit.slice(0, 12)}) has no version.`);
  }
  if (!PLAIN_VERSION.test(version)) {
    // Not echoed: the remote's text could hold terminal escape codes or pages of anything.
    throw new PreprodError(
      'git-failed',
      `package.json at ${where} (${commit.slice(0, 12)}) has a version that is not a plain version string like 8.17.0.`,
    );
  }
  return version;
}

/**
 * What is printed for the watchdog to compare: semver's shape (an optional
 * `v`, three numbers, an optional pre-release and build of [0-9A-Za-z.-]),
 * at most 64 characters. Anything else from a remote is never printed.
 */
export const PLAIN_VERSION = /^v?\d{1,9}\.\d{1,9}\.\d{1,9}(?:-[0-9A-Za-z.-]{1,40})?(?:\+[0-9A-Za-z.-]{1,40})?$/;

/**
 * The current branch when it is a managed one, else the production branch
 * (what the watchdog compares with today); that branch is fetched first,
 * within settings.fetchTimeoutMs.
 */
export async function readTrackedVersion(
  source: TrackedVersionSource,
  settings: TrackedVersionSettings,
): Promise<TrackedVersion> {
  const head = await source.head();
  const branch = isManagedBranch(head.branch, settings) ? (head.branch as string) : settings.productionBranch;
  const remote = await source.findRemote(settings.remote);
  if (remote === null) {
    throw new PreprodError('git-failed', `No remote of ${source.dir} fetches from ${settings.remote}.`);
  }
  await source.fetch(remote, [branch], settings.fetchTimeoutMs);
  const commit = await source.remoteTip(remote, branch);
  if (commit === null) throw new PreprodError('git-failed', `${remote} has no branch ${branch}.`);
  const text = await source.readFileAt(commit, 'package.json');
  return { branch, remote, commit, version: packageVersion(text, `${remote}/${branch}`, commit) };
}
