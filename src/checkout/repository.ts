import * as path from 'node:path';
import { readSettings } from '../config/settings';
import { PreprodError } from '../errors';
import { safeLogger, type Logger } from '../logger';
import type { PreProdSettings } from '../types';
import { fetchBranches } from './fetchBranches';
import { tracksAlready, upstreamOf } from './gitConfigFile';
import { findGitDir, gitProcessEnv, readRefOnDisk, readRepoConfig, realpathOr } from './gitDir';
import { parseHead, remoteUrlsFromConfig } from './gitOutput';
import type { Checkout, Head, SwitchResult } from './index';
import { LocalGit } from './localGit';
import { type DiffEntry, parseNameStatusZ } from './localWork';
import { dependencyChanges, dependencyFieldsDiffer } from './dependencies';
import { assertName, assertRevision, refNameProblem } from './refName';
import { absoluteRemoteUrl, remoteUrlsMatch } from './remoteUrl';
import { type CheckoutOwner, checkoutOwner, giveToOwner, ownerEnv, unreadableCheckout } from './repoAccess';
import { DEFAULT_WAIT_FOR_GIT_MS, type RepositoryOptions, type SwitchOptions } from './repositoryOptions';
import { saveLocalWork } from './saveLocalWork';
import { FETCH_LOCKS, GIT_DIR_LOCKS, recoverStaleLocks } from './staleLocks';
import {
  type PendingSwitch,
  readSwitchMarker,
  removeSwitchMarker,
  SWITCH_MARKER,
  writeSwitchMarker,
} from './switchMarker';
import { readTrackedVersion, type TrackedVersion, type TrackedVersionSettings } from './trackedVersion';

export type { Head, PendingSwitch, SwitchResult, TrackedVersion };
export type { RepositoryOptions, SwitchOptions } from './repositoryOptions';
export { gitEnvironment } from './gitEnv';
export { gitProcessesIn } from './staleLocks';

/**
 * The git side of docs/design.md §4: a thin adapter over the FluxOS
 * checkout. It runs git and acts; parsing git's output is in gitOutput.ts,
 * the environment in gitEnv.ts, lock recovery in staleLocks.ts, the switch
 * marker in switchMarker.ts.
 *
 * Local commands go through simple-git (localGit.ts); the network commands
 * run in their own process group (fetchBranches.ts).
 *
 * Every name from config (branch, remote) is checked with the
 * `git check-ref-format` rules before it reaches git, and revisions are passed
 * where git cannot take them for options or paths (full ref names, `--`).
 */

export class Repository implements Checkout {
  readonly dir: string;
  private readonly logger: Logger;
  private readonly onGitSpawn?: (args: readonly string[]) => void;
  private readonly staleLockAgeMs: number;
  private readonly waitForGitMs: number;
  private readonly env: Record<string, string>;
  private readonly git: LocalGit;
  /** Who git runs as: the checkout's owner when we are root (repoAccess.ts); null: as we do. */
  readonly owner: CheckoutOwner | null;
  private gitDirPromise: Promise<string> | null = null;

  constructor(dir: string, options: RepositoryOptions = {}) {
    this.dir = path.resolve(dir);
    this.logger = safeLogger(options.logger, 'git: ');
    this.onGitSpawn = options.onGitSpawn;
    this.staleLockAgeMs = options.staleLockAgeMs ?? 0;
    this.waitForGitMs = Math.max(0, options.waitForGitMs ?? DEFAULT_WAIT_FOR_GIT_MS);
    this.owner = options.runAsOwner === false ? null : checkoutOwner(this.dir);
    this.env = ownerEnv(gitProcessEnv(this.dir), this.owner);
    const runAs = this.owner === null ? {} : { uid: this.owner.uid, gid: this.owner.gid };
    const { logger, env } = this;
    this.git = new LocalGit({ dir: this.dir, env, logger, onGitSpawn: options.onGitSpawn, ...runAs });
  }

  /**
   * HEAD's branch and commit, in one git process: the whole cost of a boot
   * that needs no switch. A directory git refuses rejects with
   * `repo-unreadable` (repoAccess.ts), git's words and the fix in the message.
   */
  async head(): Promise<Head> {
    // --symbolic-full-name, not --abbrev-ref: the latter prints "heads/master" when a tag is also named master.
    const revParse = this.git.run(['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD']).then(
      (result) => result.stdout,
      (error: unknown) => {
        throw unreadableCheckout(this.dir, error) ?? error;
      },
    );
    // The tracked remote comes from the config file itself: no second git process.
    const [stdout, config] = await Promise.all([revParse, readRepoConfig(this.dir)]);
    const head = parseHead(stdout);
    if (head === null) {
      const shown = JSON.stringify(stdout.slice(0, 120));
      throw new PreprodError('git-failed', `Reading HEAD of ${this.dir} gave unexpected output ${shown}.`);
    }
    const upstream = config === null ? undefined : upstreamOf(config, head.branch);
    if (upstream === undefined) return head;
    const url = upstream?.url ?? null;
    return { ...head, upstream: upstream && { ...upstream, url: url && absoluteRemoteUrl(url, this.dir) } };
  }

  /**
   * The remote whose configured fetch URL names the same repository as
   * `configuredUrl` (remoteUrl.ts), preferring `origin` when several do.
   * Reads the raw config: a URL rewritten by `insteadOf` still matches by
   * what the operator cloned from. One git process, no network.
   */
  async findRemote(configuredUrl: string): Promise<string | null> {
    // Exit code 1 means "no remote.*.url at all".
    const { stdout } = await this.git.run(['config', '-z', '--get-regexp', '^remote\\..*\\.url$'], [1]);
    const matches: string[] = [];
    for (const { name, url } of remoteUrlsFromConfig(stdout)) {
      if (refNameProblem(name) !== null || matches.includes(name)) continue;
      if (remoteUrlsMatch(url, configuredUrl, { baseDir: this.dir })) matches.push(name);
    }
    if (matches.length === 0) return null;
    return matches.includes('origin') ? 'origin' : matches[0];
  }

  /** See fetchBranches.ts: `branches` from `remote` into their remote-tracking refs, within `timeoutMs`. */
  fetch(remote: string, branches: string[], timeoutMs: number): Promise<void> {
    const context = {
      dir: this.dir,
      env: this.env,
      git: this.git,
      logger: this.logger,
      onGitSpawn: this.onGitSpawn,
      runAs: this.owner === null ? undefined : { uid: this.owner.uid, gid: this.owner.gid },
      recoverFetchLocks: () => this.recoverLocks(FETCH_LOCKS, Math.min(this.waitForGitMs, timeoutMs)),
    };
    return fetchBranches(context, remote, branches, timeoutMs);
  }

  /** The commit of `refs/remotes/<remote>/<branch>`, null when there is none. */
  async remoteTip(remote: string, branch: string): Promise<string | null> {
    assertName(remote, 'the remote');
    assertName(branch, 'the branch');
    const ref = `refs/remotes/${remote}/${branch}^{commit}`;
    const { code, stdout } = await this.git.run(['rev-parse', '--verify', '--quiet', ref], [1]);
    return code === 0 ? stdout.trim() : null;
  }

  /** See Checkout.remoteTipOnDisk: the ref files only (gitDir.ts), null when they do not say. */
  async remoteTipOnDisk(remote: string, branch: string): Promise<string | null> {
    assertName(remote, 'the remote');
    assertName(branch, 'the branch');
    return readRefOnDisk(this.dir, `refs/remotes/${remote}/${branch}`);
  }

  /** Whether `ancestor` is reachable from `descendant` (`merge-base --is-ancestor`); other failures throw. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    assertRevision(ancestor, 'the ancestor revision');
    assertRevision(descendant, 'the descendant revision');
    const { code } = await this.git.run(['merge-base', '--is-ancestor', ancestor, descendant], [1]);
    return code === 0;
  }

  /**
   * Put the checkout on `branch` at `<remote>/<branch>` (fetched before).
   *
   * The seed ran `reset --hard <target>` while still on the old branch, which
   * moved the old branch to the target's commit. Here the only branch that
   * moves is `branch`, in one forced checkout that creates or resets it at
   * the remote tip; its upstream is written to config (not `--track`, which
   * refuses remote-tracking refs outside the configured fetch refspec, as in
   * single-branch clones). Never `git clean`: untracked and ignored files stay
   * whatever either branch's ignore rules say, and what the checkout would
   * overwrite is saved first (saveLocalWork.ts).
   *
   * A marker written before the first change stays until completeSwitch():
   * the next boot sees a cut-short switch even when HEAD already names the
   * branch, and switches again (to the same branch) instead of calling it done.
   */
  async switchTo(branch: string, remote: string, options: SwitchOptions = {}): Promise<SwitchResult> {
    assertName(branch, 'the branch');
    assertName(remote, 'the remote');
    await this.recoverLocks(GIT_DIR_LOCKS, Math.max(0, options.waitForGitMs ?? this.waitForGitMs));
    const to = await this.remoteTip(remote, branch);
    if (to === null) {
      const why = `${remote}/${branch} has not been fetched`;
      throw new PreprodError('git-failed', `Cannot switch ${this.dir} to ${branch}: ${why}.`);
    }
    const { commit: from } = await this.head();
    const diffArgs = ['diff', '--name-status', '-z', '--no-renames', from, to, '--'];
    const diff = parseNameStatusZ((await this.git.run(diffArgs)).stdout);
    const unfinished = await this.pendingSwitch();
    const depsChanged = (unfinished?.depsChanged ?? false) || (await this.dependenciesChanged(from, to, diff));
    // A checkout cut short where HEAD had not moved yet (a full disk): its writes are still in the work tree.
    const cutShort = unfinished?.checkout?.from === from ? unfinished.checkout : undefined;
    const gitDir = await this.gitDir();
    await writeSwitchMarker(gitDir, { branch, depsChanged, checkout: cutShort });
    await giveToOwner(this.owner, [path.join(gitDir, SWITCH_MARKER)]);
    const saveContext = { dir: this.dir, gitDir, git: this.git, logger: this.logger, owner: this.owner };
    const checkoutWrites = cutShort === undefined ? undefined : await this.changedPaths(cutShort.from, cutShort.to);
    await saveLocalWork(saveContext, { branch, remote, to, diff, checkoutWrites });
    // From here the work tree may change: a later boot must know which files are the checkout's.
    await writeSwitchMarker(gitDir, { branch, depsChanged, checkout: { from, to } });
    await giveToOwner(this.owner, [path.join(gitDir, SWITCH_MARKER)]);

    // Upstream first: if it fails, nothing about the checkout has changed yet. Read from the file: no process.
    if (!tracksAlready(await readRepoConfig(this.dir), branch, remote)) {
      await this.git.run(['config', `branch.${branch}.remote`, remote]);
      await this.git.run(['config', `branch.${branch}.merge`, `refs/heads/${branch}`]);
    }
    // The commit id, not the ref: depsChanged was computed for exactly this commit.
    await this.git.run(['checkout', '--force', '--no-track', '-B', branch, to, '--']);
    this.logger.info(`${this.dir}: switched to ${branch} at ${to.slice(0, 12)} (was ${from.slice(0, 12)}).`);
    return { from, to, depsChanged };
  }

  /** The paths that differ between two commits. */
  private async changedPaths(from: string, to: string): Promise<Set<string>> {
    const diffArgs = ['diff', '--name-status', '-z', '--no-renames', from, to, '--'];
    return new Set(parseNameStatusZ((await this.git.run(diffArgs)).stdout).map((entry) => entry.path));
  }

  /** The install must run: a tracked lockfile or the dependency fields of package.json differ (dependencies.ts). */
  private async dependenciesChanged(from: string, to: string, diff: readonly DiffEntry[]): Promise<boolean> {
    const changes = dependencyChanges(diff.map((entry) => entry.path));
    if (changes.lockfile) return true;
    if (!changes.packageJson) return false;
    const read = (commit: string): Promise<string | null> => this.readFileAt(commit, 'package.json');
    const [before, after] = await Promise.all([read(from), read(to)]);
    return dependencyFieldsDiffer(before, after);
  }

  /** The switch a previous boot left unfinished, null when there is none. Reads one file, no git process. */
  async pendingSwitch(): Promise<PendingSwitch | null> {
    return readSwitchMarker(await this.gitDir());
  }

  /** The switch and its install are done: the next boot has nothing to finish. */
  async completeSwitch(): Promise<void> {
    await removeSwitchMarker(await this.gitDir());
  }

  /** The content of `filePath` at `ref`, null when the ref or the file does not exist. */
  async readFileAt(ref: string, filePath: string): Promise<string | null> {
    assertRevision(ref, 'the revision');
    if (filePath === '' || filePath.startsWith('/') || /[\n\r\0]/.test(filePath)) {
      throw new PreprodError('git-failed', `Expected a relative file path, got ${JSON.stringify(filePath)}.`);
    }
    // cat-file exits 128 for "no such ref" and "no such path" alike.
    const { code, stdout } = await this.git.run(['cat-file', 'blob', `${ref}:${filePath}`], [128]);
    return code === 0 ? stdout : null;
  }

  /** See trackedVersion.ts: the version at the remote tip of the branch this node tracks. */
  trackedVersion(settings: TrackedVersionSettings): Promise<TrackedVersion> {
    return readTrackedVersion(this, settings);
  }

  private async recoverLocks(names: readonly string[], waitForGitMs: number): Promise<void> {
    await recoverStaleLocks({
      gitDir: await this.gitDir(),
      workTree: await realpathOr(this.dir),
      names,
      minAgeMs: this.staleLockAgeMs,
      waitForGitMs,
      logger: this.logger,
    });
  }

  /** The absolute git dir (gitDir.ts), found once. */
  private gitDir(): Promise<string> {
    this.gitDirPromise ??= findGitDir(this.dir, this.git);
    this.gitDirPromise.catch(() => (this.gitDirPromise = null));
    return this.gitDirPromise;
  }
}
/** Open the checkout at `dir`. Lazy: nothing runs (and nothing throws) until a method is called. */
export function openRepository(dir: string, options: RepositoryOptions = {}): Repository {
  return new Repository(dir, options);
}

/**
 * For the Flux watchdog (docs/design.md §9): the package.json version at the
 * remote tip of the branch the checkout at `repoDir` tracks. `settings` are
 * merged over the packaged defaults and validated.
 */
export function trackedVersion(
  repoDir: string,
  settings: Partial<PreProdSettings> = {},
  options: RepositoryOptions = {},
): Promise<TrackedVersion> {
  return Promise.resolve()
    .then(() => readSettings({ overrides: { preProd: settings } }).preProd)
    .then((preProd) => openRepository(repoDir, options).trackedVersion(preProd));
}
