import type { Logger } from '../logger';

/** How a Repository (repository.ts) is opened, and per-switch options. */

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
  /**
   * How long a fetch or a switch waits for git processes still working in
   * the repository to end before it treats their lock files as held. A boot
   * killed with SIGKILL alone (an OOM kill, `kill -9` of FluxOS) leaves its
   * git child running and holding index.lock; waiting for it lets the next
   * boot converge. Default 5000; a fetch waits at most its own timeout.
   */
  waitForGitMs?: number;
  /**
   * Run as root on a checkout another user owns, run every git command as
   * that owner (docs/design.md §4). Default true; false runs git as we are.
   */
  runAsOwner?: boolean;
}

/** Per-call options of switchTo(). */
export interface SwitchOptions {
  /** Overrides RepositoryOptions.waitForGitMs for this switch (e.g. what is left of the boot deadline). */
  waitForGitMs?: number;
}

export const DEFAULT_WAIT_FOR_GIT_MS = 5000;
