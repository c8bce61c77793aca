import type { Checkout } from './index';
import { spawn } from 'child_process';
import { existsSync, realpathSync, statSync } from 'fs';
import * as fs from 'fs/promises';
import * as path from 'path';
import { GitError, GitPluginError, simpleGit, type SimpleGit } from 'simple-git';
import { readSettings } from '../config/settings';
import { PreprodError, describeError } from '../errors';
import { safeLogger, type Logger } from '../logger';
import { killGroup as killProcessGroup } from '../restart/install';
import { refNameProblem } from './refName';
import { remoteUrlsMatch } from './remoteUrl';
import { isManagedBranch } from './plan';
import type { PreProdSettings } from '../types';

/**
 * The git side of DESIGN §4: a thin adapter over the FluxOS checkout.
 *
 * Local commands go through simple-git with its unsafe-operation guards on
 * (no `allowUnsafe*` anywhere). The two network commands (ls-remote, fetch)
 * are spawned directly, in their own process group: git runs remote helpers
 * (`git-remote-https`) as grandchildren, and killing only the git process
 * (all simple-git can do) leaves the helper stalled on the socket and still
 * holding the output pipe. A deadline kills the whole group instead.
 *
 * Every name from config (branch, remote) is checked with the
 * `git check-ref-format` rules before it reaches git, and revisions are passed
 * where git cannot take them for options or paths (full ref names, `--`).
 *
 * Environment: the host's, minus the variables that point git at another
 * repository (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, ...: a FluxOS started
 * from a git hook must still act on its own checkout) and minus those
 * simple-git refuses to run with (EDITOR, PAGER, GIT_SSH_COMMAND,
 * GIT_ASKPASS, GIT_CONFIG_*, ...: none is needed by a non-interactive
 * https fetch), plus GIT_TERMINAL_PROMPT=0 so a remote asking for
 * credentials fails at once instead of waiting for a terminal.
 */

export interface RepositoryOptions {
  logger?: Partial<Logger>;
  /** Called once per git process spawned, with its arguments: counts processes for benchmarks and tests. */
  onGitSpawn?: (args: readonly string[]) => void;
  /**
   * How old a `.lock` file must be, while no git process works in the
   * repository, before it counts as left by a killed git and is removed.
   * Default 0: after a kill no git runs here, and waiting would only leave
   * the node on the wrong branch until a later boot. Raise it when git may
   * run in the repository from a PID namespace that /proc does not show.
   */
  staleLockAgeMs?: number;
}

export interface Head {
  /** The checked-out branch; null when HEAD is detached. */
  branch: string | null;
  commit: string;
}

export interface SwitchResult {
  /** Commit checked out before the switch. */
  from: string;
  /** Commit checked out after it (the remote tip of the branch). */
  to: string;
  /**
   * The install command must run: package.json or package-lock.json differ
   * between `from` and `to`, or an earlier switch that changed them was cut
   * short (its install may not have finished).
   */
  depsChanged: boolean;
}

/** A switch that a boot started and did not finish: killed, disk full, read-only file system. */
export interface PendingSwitch {
  /** The branch it was putting the checkout on; '' when the marker cannot be read. */
  branch: string;
  /** It changed package.json or package-lock.json, so its install may not have run to the end. */
  depsChanged: boolean;
}

export interface TrackedVersion {
  /** The branch whose remote tip was read: the current branch when it is managed, else the production branch. */
  branch: string;
  remote: string;
  /** Remote tip of `branch` after the fetch. */
  commit: string;
  /** `version` of package.json at that commit. */
  version: string;
}

const DEFAULT_STALE_LOCK_AGE_MS = 0;
/** Without /proc there is no way to see running git processes, so only a much older lock counts as stale. */
const STALE_LOCK_AGE_WITHOUT_PROC_MS = 10 * 60 * 1000;
/** After SIGTERM (which lets git remove its own lock files), how long a network git gets before SIGKILL. */
const KILL_GRACE_MS = 500;
const DEPENDENCY_FILES = ['package.json', 'package-lock.json'];
/**
 * Lock files in the git dir that the commands of a fetch or a switch take,
 * besides refs/**\/*.lock. A git killed while holding one (the host killed,
 * SIGXFSZ on a full disk) makes every later command needing it fail with
 * "File exists", boot after boot.
 */
const GIT_DIR_LOCKS = ['index.lock', 'HEAD.lock', 'config.lock', 'packed-refs.lock', 'shallow.lock', 'ORIG_HEAD.lock', 'FETCH_HEAD.lock'];
/** The subset a fetch takes: it must not refuse to run over an index.lock it never needs. */
const FETCH_LOCKS = ['packed-refs.lock', 'shallow.lock', 'FETCH_HEAD.lock'];
/**
 * In the git dir: written before a switch changes anything, removed by
 * completeSwitch() once the switch and its install are done. Found at boot,
 * it means the last switch was cut short: HEAD may already name the right
 * branch while the work tree, the index or node_modules are half old.
 */
const SWITCH_MARKER = 'fluxos-preprod-switch.json';
const COMMIT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Variables that make git act on another repository than the one we were given. */
const REPOSITORY_LOCATION_ENV = new Set([
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
]);
/** Variables simple-git's guard rejects (lower-cased, as it compares them). */
const SIMPLE_GIT_BLOCKED_ENV = new Set([
  'editor',
  'pager',
  'prefix',
  'ssh_askpass',
  'git_askpass',
  'git_config',
  'git_config_global',
  'git_config_system',
  'git_config_count',
  'git_editor',
  'git_exec_path',
  'git_external_diff',
  'git_pager',
  'git_proxy_command',
  'git_sequence_editor',
  'git_ssh',
  'git_ssh_command',
  'git_template_dir',
]);

/** The environment of every git process this module starts (see the module comment). */
export function gitEnvironment(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined) continue;
    const lower = key.toLowerCase();
    if (REPOSITORY_LOCATION_ENV.has(key.toUpperCase()) || SIMPLE_GIT_BLOCKED_ENV.has(lower)) continue;
    // GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n / GIT_CONFIG_PARAMETERS inject config, as `-c` would.
    if (lower.startsWith('git_config_')) continue;
    env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  return env;
}

/** A git exit status other than 0, kept as a GitError so simple-git passes it through unchanged. */
class GitExit extends GitError {
  constructor(
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(undefined, stderr.trim() || `git exited with code ${exitCode}`);
  }
}

/** The one line of git's stderr worth showing: the first `fatal:`/`error:` line, else the last line. */
function gitMessage(stderr: string): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const line = lines.find((l) => /^(fatal|error):/i.test(l)) ?? lines[lines.length - 1] ?? '';
  const clean = line.replace(/^(fatal|error):\s*/i, '').replace(/[.\s]+$/, '');
  return clean.length > 200 ? `${clean.slice(0, 197)}...` : clean;
}

function shortError(error: unknown): string {
  if (error instanceof GitExit) return gitMessage(error.stderr) || `exit code ${error.exitCode}`;
  return describeError(error).replace(/[.\s]+$/, '');
}

function assertName(name: string, what: string): void {
  const problem = refNameProblem(name);
  if (problem !== null) {
    throw new PreprodError('config-invalid', `Expected ${what} to be a valid git branch or remote name, got ${JSON.stringify(name)} (it ${problem}).`);
  }
}

/** A revision we pass to git: a commit id or a full ref name, never something git could read as an option. */
function assertRevision(rev: string, what: string): void {
  if (typeof rev === 'string' && (COMMIT_ID.test(rev) || (rev.startsWith('refs/') && refNameProblem(rev) === null))) return;
  assertName(rev, what);
}

interface NetworkResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class Repository implements Checkout {
  readonly dir: string;
  private readonly logger: Logger;
  private readonly onGitSpawn?: (args: readonly string[]) => void;
  private readonly staleLockAgeMs: number;
  private readonly env: Record<string, string>;
  private git: SimpleGit | null = null;
  private gitDirPromise: Promise<string> | null = null;

  constructor(dir: string, options: RepositoryOptions = {}) {
    this.dir = path.resolve(dir);
    this.logger = safeLogger(options.logger, 'git: ');
    this.onGitSpawn = options.onGitSpawn;
    this.staleLockAgeMs = options.staleLockAgeMs ?? DEFAULT_STALE_LOCK_AGE_MS;
    this.env = gitEnvironment();
    // git also looks for a repository in the parent directories: a repoDir that is a sub-directory
    // of another checkout (or of a home directory under git) must not act on that checkout.
    // git compares real paths here, so the ceiling is one too.
    const ceiling = path.dirname(realpathOrSelf(this.dir));
    const hostCeilings = this.env.GIT_CEILING_DIRECTORIES;
    this.env.GIT_CEILING_DIRECTORIES = hostCeilings ? `${hostCeilings}${path.delimiter}${ceiling}` : ceiling;
  }

  /** HEAD's branch and commit, in one git process: the whole cost of a boot that needs no switch. */
  async head(): Promise<Head> {
    // --symbolic-full-name, not --abbrev-ref: the latter prints "heads/master" when a tag is also named master.
    const { stdout } = await this.run(['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD']);
    const [commit, ref] = stdout.trim().split('\n');
    if (!COMMIT_ID.test(commit ?? '') || ref === undefined) {
      throw new PreprodError('git-failed', `Reading HEAD of ${this.dir} gave unexpected output ${JSON.stringify(stdout.slice(0, 120))}.`);
    }
    return { branch: ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null, commit };
  }

  /**
   * The remote whose configured fetch URL names the same repository as
   * `configuredUrl` after normalisation (remoteUrl.ts), preferring `origin`
   * when several do. Reads the raw config: a URL rewritten by `insteadOf`
   * still matches by what the operator cloned from. One git process, no network.
   */
  async findRemote(configuredUrl: string): Promise<string | null> {
    // Exit code 1 means "no remote.*.url at all".
    const { stdout } = await this.run(['config', '--get-regexp', '^remote\\..*\\.url$'], [1]);
    const matches: string[] = [];
    for (const line of stdout.split('\n')) {
      const space = line.indexOf(' ');
      if (space === -1) continue;
      const key = line.slice(0, space);
      const url = line.slice(space + 1).trim();
      const name = key.slice('remote.'.length, -'.url'.length);
      if (name === '' || refNameProblem(name) !== null) continue;
      if (remoteUrlsMatch(url, configuredUrl, { baseDir: this.dir }) && !matches.includes(name)) matches.push(name);
    }
    if (matches.length === 0) return null;
    return matches.includes('origin') ? 'origin' : matches[0];
  }

  /**
   * Fetch `branches` from `remote` into `refs/remotes/<remote>/<branch>`, each
   * with an explicit refspec, within `timeoutMs` overall. A branch the remote
   * does not have is not an error: its remote-tracking ref is deleted, so
   * remoteTip() answers null instead of a stale commit. Failures and the
   * deadline become PreprodError('fetch-failed'); the checkout is not touched.
   */
  async fetch(remote: string, branches: string[], timeoutMs: number): Promise<void> {
    assertName(remote, 'the remote');
    branches.forEach((branch) => assertName(branch, 'the branch'));
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new PreprodError('config-invalid', `Expected \`fetchTimeoutMs\` to be a positive number, got ${String(timeoutMs)}.`);
    }
    // ls-remote without patterns would list every head of the remote.
    if (branches.length === 0) return;
    const deadline = Date.now() + timeoutMs;
    const fail = (why: string, cause?: unknown): PreprodError =>
      new PreprodError('fetch-failed', `Fetching ${branches.join(', ')} from ${remote} failed: ${why}.`, { cause });
    const timedOut = () => fail(`no answer within ${timeoutMs} ms`);

    try {
      await this.recoverStaleLocks(FETCH_LOCKS);
    } catch (error) {
      throw fail(shortError(error), error);
    }

    // Asking first costs one round trip but needs no parsing of git's (localised) error text
    // to tell "preprod does not exist" from "the remote is unreachable".
    const listed = await this.runNetwork(
      ['ls-remote', '--heads', '--', remote, ...branches.map((b) => `refs/heads/${b}`)],
      deadline - Date.now(),
    );
    if (listed.timedOut) throw timedOut();
    if (listed.code !== 0) throw fail(gitMessage(listed.stderr) || `git ls-remote exited with code ${listed.code}`);
    const present = new Set<string>();
    for (const line of listed.stdout.split('\n')) {
      const ref = line.split('\t')[1]?.trim();
      if (ref && ref.startsWith('refs/heads/')) present.add(ref.slice('refs/heads/'.length));
    }

    const wanted = branches.filter((b) => present.has(b));
    for (const branch of branches.filter((b) => !present.has(b))) {
      this.logger.info(`${remote} has no branch ${branch}.`);
      await this.run(['update-ref', '-d', `refs/remotes/${remote}/${branch}`]);
    }
    if (wanted.length === 0) return;
    if (Date.now() >= deadline) throw timedOut();

    const refspecs = wanted.map((b) => `+refs/heads/${b}:refs/remotes/${remote}/${b}`);
    const fetched = await this.runNetwork(['fetch', '--no-tags', '--quiet', '--', remote, ...refspecs], deadline - Date.now());
    if (fetched.timedOut) throw timedOut();
    if (fetched.code !== 0) throw fail(gitMessage(fetched.stderr) || `git fetch exited with code ${fetched.code}`);
  }

  /** The commit of `refs/remotes/<remote>/<branch>`, null when there is none. */
  async remoteTip(remote: string, branch: string): Promise<string | null> {
    assertName(remote, 'the remote');
    assertName(branch, 'the branch');
    const { code, stdout } = await this.run(['rev-parse', '--verify', '--quiet', `refs/remotes/${remote}/${branch}^{commit}`], [1]);
    return code === 0 ? stdout.trim() : null;
  }

  /** Whether `ancestor` is reachable from `descendant` (`merge-base --is-ancestor`); other failures throw. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    assertRevision(ancestor, 'the ancestor revision');
    assertRevision(descendant, 'the descendant revision');
    const { code } = await this.run(['merge-base', '--is-ancestor', ancestor, descendant], [1]);
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
   * single-branch clones). Then untracked, non-ignored files are removed
   * (`clean -fd`, never `-x`): userconfig.js, node_modules, certs and app
   * data are ignored files and stay.
   *
   * A marker written before the first change stays until completeSwitch():
   * the next boot sees a cut-short switch even when HEAD already names the
   * branch, and switches again (to the same branch) instead of calling it done.
   */
  async switchTo(branch: string, remote: string): Promise<SwitchResult> {
    assertName(branch, 'the branch');
    assertName(remote, 'the remote');
    await this.recoverStaleLocks(GIT_DIR_LOCKS);

    const to = await this.remoteTip(remote, branch);
    if (to === null) {
      throw new PreprodError('git-failed', `Cannot switch ${this.dir} to ${branch}: ${remote}/${branch} has not been fetched.`);
    }
    const { commit: from } = await this.head();
    const diff = await this.run(['diff', '--name-only', from, to, '--', ...DEPENDENCY_FILES]);
    const unfinished = await this.pendingSwitch();
    const depsChanged = diff.stdout.trim() !== '' || (unfinished?.depsChanged ?? false);
    await this.writeSwitchMarker({ branch, depsChanged });

    // Upstream first: if it fails, nothing about the checkout has changed yet.
    await this.run(['config', `branch.${branch}.remote`, remote]);
    await this.run(['config', `branch.${branch}.merge`, `refs/heads/${branch}`]);
    // The commit id, not the ref: depsChanged was computed for exactly this commit.
    await this.run(['checkout', '--force', '--no-track', '-B', branch, to, '--']);
    await this.run(['clean', '-f', '-d', '--']);
    this.logger.info(`${this.dir}: switched to ${branch} at ${to.slice(0, 12)} (was ${from.slice(0, 12)}).`);
    return { from, to, depsChanged };
  }

  /** The switch a previous boot left unfinished, null when there is none. Reads one file, no git process. */
  async pendingSwitch(): Promise<PendingSwitch | null> {
    let text: string;
    try {
      text = await fs.readFile(path.join(await this.gitDir(), SWITCH_MARKER), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new PreprodError('git-failed', `Cannot read ${SWITCH_MARKER} in ${this.dir}: ${shortError(error)}.`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as Partial<PendingSwitch>;
      return { branch: typeof parsed.branch === 'string' ? parsed.branch : '', depsChanged: parsed.depsChanged !== false };
    } catch {
      // Unreadable: assume the worst, the install too may be unfinished.
      return { branch: '', depsChanged: true };
    }
  }

  /** The switch and its install are done: the next boot has nothing to finish. */
  async completeSwitch(): Promise<void> {
    await fs.rm(path.join(await this.gitDir(), SWITCH_MARKER), { force: true });
  }

  private async writeSwitchMarker(pending: PendingSwitch): Promise<void> {
    const file = path.join(await this.gitDir(), SWITCH_MARKER);
    const temp = `${file}.${process.pid}.tmp`;
    try {
      await fs.writeFile(temp, `${JSON.stringify(pending)}\n`);
      await fs.rename(temp, file);
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw new PreprodError('git-failed', `Cannot write ${file}: ${shortError(error)}.`, { cause: error });
    }
  }

  /** The content of `filePath` at `ref`, null when the ref or the file does not exist. */
  async readFileAt(ref: string, filePath: string): Promise<string | null> {
    assertRevision(ref, 'the revision');
    if (filePath === '' || filePath.startsWith('/') || /[\n\r\0]/.test(filePath)) {
      throw new PreprodError('git-failed', `Expected a relative file path, got ${JSON.stringify(filePath)}.`);
    }
    // cat-file exits 128 for "no such ref" and "no such path" alike.
    const { code, stdout } = await this.run(['cat-file', 'blob', `${ref}:${filePath}`], [128]);
    return code === 0 ? stdout : null;
  }

  /**
   * The package.json version at the remote tip of the branch this node tracks
   * (DESIGN §9, for the Flux watchdog): the current branch when it is a
   * managed one, else the production branch (what the watchdog compares with
   * today). Fetches that branch first, within settings.fetchTimeoutMs.
   */
  async trackedVersion(
    settings: Pick<PreProdSettings, 'branch' | 'productionBranch' | 'remote' | 'fetchTimeoutMs'>,
  ): Promise<TrackedVersion> {
    const head = await this.head();
    const branch = isManagedBranch(head.branch, settings) ? (head.branch as string) : settings.productionBranch;
    const remote = await this.findRemote(settings.remote);
    if (remote === null) {
      throw new PreprodError('git-failed', `No remote of ${this.dir} fetches from ${settings.remote}.`);
    }
    await this.fetch(remote, [branch], settings.fetchTimeoutMs);
    const commit = await this.remoteTip(remote, branch);
    if (commit === null) throw new PreprodError('git-failed', `${remote} has no branch ${branch}.`);
    const text = await this.readFileAt(commit, 'package.json');
    let version: unknown;
    try {
      version = text === null ? undefined : (JSON.parse(text) as { version?: unknown }).version;
    } catch (error) {
      throw new PreprodError('git-failed', `package.json at ${remote}/${branch} is not valid JSON.`, { cause: error });
    }
    if (typeof version !== 'string' || version === '') {
      throw new PreprodError('git-failed', `package.json at ${remote}/${branch} (${commit.slice(0, 12)}) has no version.`);
    }
    return { branch, remote, commit, version };
  }

  /**
   * Remove the lock files a killed git left (DESIGN §4), those of `names`
   * in the git dir and any under refs/, only when both hold:
   * - no git process works in this repository: a /proc scan for processes
   *   named git or git-*, whose cwd is inside the work tree or git dir, or
   *   whose -C / --git-dir / --work-tree argument points there (a process
   *   whose cwd cannot be read counts as working here);
   * - the lock is at least staleLockAgeMs old (default 0, see the option).
   * Without /proc only an age guard applies, of 10 minutes.
   * A lock that stays throws git-failed: the checkout is left as it is.
   */
  private async recoverStaleLocks(names: readonly string[]): Promise<void> {
    const gitDir = await this.gitDir();
    const candidates = [...names.map((name) => path.join(gitDir, name)), ...(await lockFilesUnder(path.join(gitDir, 'refs')))];
    const found: Array<{ lockPath: string; mtimeMs: number }> = [];
    for (const lockPath of candidates) {
      try {
        found.push({ lockPath, mtimeMs: (await fs.stat(lockPath)).mtimeMs });
      } catch {
        // Not there: the usual case.
      }
    }
    if (found.length === 0) return;
    const busy = await gitProcessesIn([await realpathOr(this.dir), gitDir]);
    if (busy !== null && busy.length > 0) {
      throw new PreprodError('git-failed', `${found[0].lockPath} is held by a running git process (pid ${busy.join(', ')}); the checkout is left as it is.`);
    }
    const minAge = busy === null ? STALE_LOCK_AGE_WITHOUT_PROC_MS : this.staleLockAgeMs;
    for (const { lockPath, mtimeMs } of found) {
      const ageMs = Date.now() - mtimeMs;
      if (ageMs < minAge) {
        throw new PreprodError(
          'git-failed',
          `${lockPath} is only ${Math.round(ageMs / 1000)} s old and may belong to a git process that is still running; the checkout is left as it is.`,
        );
      }
      await fs.rm(lockPath, { force: true });
      this.logger.warn(`Removed ${lockPath}, left by a git process that died ${Math.round(ageMs / 1000)} s ago.`);
    }
  }

  /** The absolute git dir, from `.git` (a directory, or a `gitdir:` file) without spawning git when possible. */
  private gitDir(): Promise<string> {
    this.gitDirPromise ??= (async () => {
      const dotGit = path.join(this.dir, '.git');
      try {
        const stat = await fs.stat(dotGit);
        if (stat.isDirectory()) return await fs.realpath(dotGit);
        const pointer = /^gitdir:\s*(.+)$/m.exec(await fs.readFile(dotGit, 'utf8'));
        if (pointer) return await fs.realpath(path.resolve(this.dir, pointer[1].trim()));
      } catch {
        // Not the usual layout; ask git.
      }
      const { stdout } = await this.run(['rev-parse', '--absolute-git-dir']);
      return stdout.trim();
    })();
    this.gitDirPromise.catch(() => (this.gitDirPromise = null));
    return this.gitDirPromise;
  }

  private simpleGit(): SimpleGit {
    if (this.git) return this.git;
    if (!existsSync(this.dir) || !statSync(this.dir).isDirectory()) {
      throw new PreprodError('git-failed', `${this.dir} is not a directory.`);
    }
    const git = simpleGit({
      baseDir: this.dir,
      maxConcurrentProcesses: 2,
      // simple-git 4 strips or refuses every GIT_* variable not named here; gitEnvironment() already chose them.
      allowEnvironment: Object.keys(this.env),
      // simple-git takes a non-zero exit with empty stderr for success, and one with stderr becomes a
      // GitError without the code (simple-git 4: a subclass for "fatal:" output): all become GitExit.
      // Its plugin errors (unsafe arguments, environment guard) pass through.
      errors: (error, result) => {
        if (error instanceof GitPluginError) return error;
        if (result.exitCode === 0) return undefined;
        return new GitExit(result.exitCode, Buffer.concat(result.stdErr).toString('utf8'));
      },
    }).env(this.env);
    const onSpawn = this.onGitSpawn;
    if (onSpawn) git.outputHandler((_command, _stdout, _stderr, args) => onSpawn(args));
    this.git = git;
    return git;
  }

  /** Run a local git command; exit codes in `allowedCodes` come back as results, anything else throws git-failed. */
  private async run(args: string[], allowedCodes: number[] = []): Promise<{ code: number; stdout: string }> {
    this.logger.debug(`git ${args.join(' ')}`);
    try {
      const stdout = await this.simpleGit().raw(args);
      return { code: 0, stdout };
    } catch (error) {
      if (error instanceof GitExit && allowedCodes.includes(error.exitCode)) return { code: error.exitCode, stdout: '' };
      if (error instanceof PreprodError) throw error;
      throw new PreprodError('git-failed', `git ${args[0]} failed in ${this.dir}: ${shortError(error)}.`, { cause: error });
    }
  }

  /**
   * Run a git command that talks to a remote, in its own process group; at
   * the deadline the group gets SIGTERM (git removes its lock files), then
   * SIGKILL. Resolves when the git process has exited.
   */
  private runNetwork(args: string[], timeoutMs: number): Promise<NetworkResult> {
    this.logger.debug(`git ${args.join(' ')}`);
    if (timeoutMs <= 0) return Promise.resolve({ code: null, stdout: '', stderr: '', timedOut: true });
    this.onGitSpawn?.(args);
    return new Promise((resolve) => {
      const child = spawn('git', args, {
        cwd: this.dir,
        env: this.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      let settled = false;
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
      });
      const killGroup = (signal: NodeJS.Signals): void => {
        if (child.pid !== undefined) killProcessGroup(child.pid, signal);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      }, timeoutMs);
      // A detached group outlives us: if the host exits mid-fetch (a restart), take it along.
      const onHostExit = (): void => killGroup('SIGKILL');
      process.once('exit', onHostExit);
      const settle = (code: number | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        process.removeListener('exit', onHostExit);
        // A helper that survived its git would hold the pipes open; nothing more is read after this.
        if (timedOut) killGroup('SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, stdout, stderr, timedOut });
      };
      child.on('error', (error) => {
        stderr += `${error.message}\n`;
        settle(null);
      });
      child.on('exit', (code) => {
        // Let the last bytes of output arrive, without waiting on pipes a grandchild may hold.
        const drain = setTimeout(() => settle(code), 100);
        child.once('close', () => {
          clearTimeout(drain);
          settle(code);
        });
      });
    });
  }
}

/** Open the checkout at `dir`. Lazy: nothing runs (and nothing throws) until a method is called. */
export function openRepository(dir: string, options: RepositoryOptions = {}): Repository {
  return new Repository(dir, options);
}

/**
 * For the Flux watchdog (DESIGN §9): the package.json version at the remote
 * tip of the branch the checkout at `repoDir` tracks, so it compares a
 * preprod node with preprod, not with master. `settings` are merged over the
 * packaged defaults and validated.
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

function realpathOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Every `*.lock` file below `dir` (absolute paths); none when `dir` does not exist. */
async function lockFilesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await lockFilesUnder(full)));
    else if (entry.name.endsWith('.lock')) found.push(full);
  }
  return found;
}

async function realpathOr(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch {
    return p;
  }
}

function isInside(candidate: string, dirs: string[]): boolean {
  return dirs.some((dir) => candidate === dir || candidate.startsWith(`${dir}/`));
}

/**
 * Pids of git processes working in one of `dirs` (real paths), from /proc;
 * null when /proc cannot be read (not Linux).
 */
export async function gitProcessesIn(dirs: string[]): Promise<number[] | null> {
  let entries: string[];
  try {
    entries = await fs.readdir('/proc');
  } catch {
    return null;
  }
  const found = await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
      .map(async (entry): Promise<number | null> => {
        const pid = Number(entry);
        let argv: string[];
        let comm: string;
        try {
          [argv, comm] = await Promise.all([
            fs.readFile(`/proc/${pid}/cmdline`, 'utf8').then((text) => text.split('\0').filter((a) => a !== '')),
            fs.readFile(`/proc/${pid}/comm`, 'utf8').then((text) => text.trim()),
          ]);
        } catch {
          return null;
        }
        const isGit = (name: string): boolean => name === 'git' || name.startsWith('git-');
        if (!isGit(comm) && !(argv[0] !== undefined && isGit(path.basename(argv[0])))) return null;
        let cwd: string;
        try {
          cwd = await fs.readlink(`/proc/${pid}/cwd`);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          // Gone meanwhile: not running. Not ours to inspect: it might be working here.
          return code === 'ENOENT' || code === 'ESRCH' ? null : pid;
        }
        if (isInside(cwd, dirs)) return pid;
        for (let i = 1; i < argv.length; i += 1) {
          const arg = argv[i];
          let target: string | undefined;
          if (arg === '-C' || arg === '--git-dir' || arg === '--work-tree') target = argv[i + 1];
          else if (arg.startsWith('--git-dir=') || arg.startsWith('--work-tree=')) target = arg.slice(arg.indexOf('=') + 1);
          if (target !== undefined && isInside(path.resolve(cwd, target), dirs)) return pid;
        }
        return null;
      }),
  );
  return found.filter((pid): pid is number => pid !== null);
}
