/**
 * The checkout port: what the boot needs from the node's git checkout. The
 * boot steps depend on this interface only, so they are tested with a fake in
 * milliseconds; `Repository` (checkout/repository.ts) implements it with git.
 */
import type { Upstream } from './gitConfigFile';
import type { PendingSwitch } from './switchMarker';

export type { Upstream } from './gitConfigFile';

export type { PendingSwitch } from './switchMarker';

export interface Head {
  /** The checked-out branch; null when HEAD is detached. */
  branch: string | null;
  commit: string;
  /**
   * The remote the branch tracks and its URL (a local relative path made
   * absolute); null when it tracks none; absent when unknown. Lets the plan
   * leave alone a managed name that tracks an operator's fork.
   */
  upstream?: Upstream | null;
}

export interface SwitchResult {
  /** Commit checked out before the switch. */
  from: string;
  /** Commit checked out after it (the remote tip of the branch). */
  to: string;
  /**
   * The install command must run: the dependencies differ between `from`
   * and `to`, or an earlier switch that changed them was cut short (its
   * install may not have finished).
   */
  depsChanged: boolean;
}

export interface Checkout {
  /** The checkout's directory. */
  readonly dir: string;
  /** HEAD's branch (null when detached) and commit. Rejects when the directory is not a checkout. */
  head(): Promise<Head>;
  /** The remote whose fetch URL is the configured upstream, null when none is. */
  findRemote(configuredUrl: string): Promise<string | null>;
  /** Fetch `branches` from `remote` within `timeoutMs`; rejects on failure or timeout. */
  fetch(remote: string, branches: string[], timeoutMs: number): Promise<void>;
  /** The commit of `<remote>/<branch>` as last fetched, null when it does not exist. */
  remoteTip(remote: string, branch: string): Promise<string | null>;
  /**
   * The commit of `<remote>/<branch>` read from the ref files, with no git process; null when the files
   * do not say (then ask remoteTip). Optional: a shortcut for the boot's no-network path.
   */
  remoteTipOnDisk?(remote: string, branch: string): Promise<string | null>;
  /** `ancestor` is an ancestor of (or equal to) `descendant`. */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** Put the checkout on `branch` at `<remote>/<branch>`. */
  switchTo(branch: string, remote: string): Promise<SwitchResult>;
  /** A switch an earlier boot began and did not finish, null when there is none. */
  pendingSwitch(): Promise<PendingSwitch | null>;
  /** The switch (and its install) is done: the next boot has nothing to finish. */
  completeSwitch(): Promise<void>;
}
