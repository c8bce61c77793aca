import { PreprodError } from '../errors';
import type { Logger } from '../logger';
import { runGroup, type GroupRun } from '../os/spawnGroup';
import { gitMessage, parseLsRemoteHeads } from './gitOutput';
import { shortError, type LocalGit } from './localGit';
import { assertName } from './refName';

/**
 * The two network commands (ls-remote, fetch), each in its own process group
 * (os/spawnGroup.ts): git runs remote helpers (`git-remote-https`) as
 * grandchildren, and killing only the git process (all simple-git can do)
 * leaves the helper stalled on the socket and still holding the output pipe.
 */

/** After SIGTERM (which lets git remove its own lock files), how long a network git gets before SIGKILL. */
const NETWORK_KILL_GRACE_MS = 500;

export interface FetchContext {
  dir: string;
  env: Record<string, string>;
  git: LocalGit;
  logger: Logger;
  onGitSpawn?: (args: readonly string[]) => void;
  /** Run git as this user and group (the checkout's owner when we are root). */
  runAs?: { uid: number; gid: number };
  /** Clears the lock files a fetch takes when a killed git left them (staleLocks.ts). */
  recoverFetchLocks(): Promise<void>;
}

/**
 * Fetch `branches` from `remote` into `refs/remotes/<remote>/<branch>`, each
 * with an explicit refspec, within `timeoutMs` overall. A branch the remote
 * does not have is not an error: its remote-tracking ref is deleted, so
 * remoteTip() answers null instead of a stale commit. Failures and the
 * deadline become PreprodError('fetch-failed'); the checkout is not touched.
 */
export async function fetchBranches(
  ctx: FetchContext,
  remote: string,
  branches: string[],
  timeoutMs: number,
): Promise<void> {
  assertName(remote, 'the remote');
  branches.forEach((branch) => assertName(branch, 'the branch'));
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    const shown = String(timeoutMs);
    throw new PreprodError('config-invalid', `Expected \`fetchTimeoutMs\` to be a positive number, got ${shown}.`);
  }
  // ls-remote without patterns would list every head of the remote.
  if (branches.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  const fail = (why: string, cause?: unknown): PreprodError =>
    new PreprodError('fetch-failed', `Fetching ${branches.join(', ')} from ${remote} failed: ${why}.`, { cause });
  try {
    await ctx.recoverFetchLocks();
  } catch (error) {
    throw fail(shortError(error), error);
  }
  // Asking first costs one round trip but needs no parsing of git's (localised) error text
  // to tell "preprod does not exist" from "the remote is unreachable".
  const heads = ['ls-remote', '--heads', '--', remote, ...branches.map((b) => `refs/heads/${b}`)];
  const listed = await runNetwork(ctx, heads, deadline - Date.now());
  const present = parseLsRemoteHeads(checkNetwork(listed, 'ls-remote', timeoutMs, fail));
  for (const branch of branches.filter((b) => !present.has(b))) {
    ctx.logger.info(`${remote} has no branch ${branch}.`);
    await ctx.git.run(['update-ref', '-d', `refs/remotes/${remote}/${branch}`]);
  }
  const wanted = branches.filter((b) => present.has(b));
  if (wanted.length === 0) return;
  if (Date.now() >= deadline) throw fail(`no answer within ${timeoutMs} ms`);
  const refspecs = wanted.map((b) => `+refs/heads/${b}:refs/remotes/${remote}/${b}`);
  const fetchArgs = ['fetch', '--no-tags', '--quiet', '--', remote, ...refspecs];
  const fetched = await runNetwork(ctx, fetchArgs, deadline - Date.now());
  checkNetwork(fetched, 'fetch', timeoutMs, fail);
}

/** A git command that talks to a remote, in its own process group under a deadline. */
async function runNetwork(ctx: FetchContext, args: string[], timeoutMs: number): Promise<GroupRun> {
  if (timeoutMs > 0) ctx.onGitSpawn?.(args);
  const options = { cwd: ctx.dir, env: ctx.env, timeoutMs, graceMs: NETWORK_KILL_GRACE_MS, captureStdout: true };
  const ran = await runGroup('git', args, { ...options, ...ctx.runAs });
  // Like every git command, logged only when it fails (docs/design.md §5).
  const { outcome } = ran;
  if (outcome.kind !== 'exit' || outcome.code !== 0) ctx.logger.debug(`git ${args.join(' ')} failed`);
  return ran;
}

/** stdout of a network git run that succeeded; otherwise throws the fetch-failed sentence. */
function checkNetwork(run: GroupRun, command: string, timeoutMs: number, fail: (why: string) => PreprodError): string {
  const { outcome } = run;
  if (outcome.kind === 'timeout') throw fail(`no answer within ${timeoutMs} ms`);
  if (outcome.kind === 'error') throw fail(outcome.error.message.replace(/[.\s]+$/, ''));
  if (outcome.code !== 0) throw fail(gitMessage(run.stderr) || `git ${command} exited with code ${outcome.code}`);
  return run.stdout;
}
