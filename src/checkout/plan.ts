import type { PreProdSettings } from '../types';
import type { Upstream } from './gitConfigFile';
import { remoteUrlsMatch } from './remoteUrl';

/**
 * Pure decisions about the checkout's branch (docs/design.md §4). No git here: the
 * repository adapter gathers facts, these functions decide, the caller acts.
 */

export type SwitchPlan =
  /** Already on the target: no network, nothing to do. */
  | { action: 'none'; branch: string; reason?: undefined }
  /** Not ours to move (unmanaged branch or detached HEAD), or no remote matches the configured one. */
  | { action: 'leave'; reason: 'unmanaged-branch' | 'remote-not-found'; branch: string | null }
  /** Fetch, then put the checkout on `to` (subject to choosePreprodOrFallback). */
  | { action: 'switch'; from: string; to: string; remote: string; reason?: undefined };

export interface PlanSwitchInput {
  /**
   * The checkout's branch (null when HEAD is detached) and, when known, the
   * remote it tracks (Head.upstream).
   */
  current: { branch: string | null; upstream?: Upstream | null };
  /** The branch the cohort decision wants (settings.branch or settings.productionBranch). */
  targetBranch: string;
  /** With `remote`, a managed name that tracks another remote (an operator's fork) is left alone. */
  settings: Pick<PreProdSettings, 'branch' | 'productionBranch'> & { remote?: string };
  /** The remote whose URL matches settings.remote; null when none does. */
  remoteName: string | null;
}

/** True when the branch is one of the two this package may move. */
export function isManagedBranch(
  branch: string | null,
  settings: Pick<PreProdSettings, 'branch' | 'productionBranch'>,
): boolean {
  return branch !== null && (branch === settings.productionBranch || branch === settings.branch);
}

/**
 * The part of the plan that needs neither the network nor the remote lookup:
 * a plan when the current branch alone decides it, null when the caller must
 * find the remote and call planSwitch. It lets the no-switch boot path stop
 * after reading HEAD (one git process).
 */
export function planWithoutRemote(input: Omit<PlanSwitchInput, 'remoteName'>): SwitchPlan | null {
  const { current, targetBranch, settings } = input;
  // Developers' branches and detached checkouts are not ours to move; the seed forced them to master.
  if (current.branch === null || !isManagedBranch(current.branch, settings) || tracksAnotherRemote(input)) {
    return { action: 'leave', reason: 'unmanaged-branch', branch: current.branch };
  }
  if (current.branch === targetBranch) return { action: 'none', branch: current.branch };
  return null;
}

/**
 * The current branch tracks a remote whose URL is not the configured
 * upstream: an operator's fork checked out under a managed name. A branch
 * with no upstream, or an upstream without a URL (the `.` remote), is not.
 */
export function tracksAnotherRemote(input: Pick<PlanSwitchInput, 'current' | 'settings'>): boolean {
  const { upstream } = input.current;
  const configured = input.settings.remote;
  if (upstream === undefined || upstream === null || upstream.url === null || configured === undefined) return false;
  return !remoteUrlsMatch(upstream.url, configured);
}

/**
 * Decide what to do with the checkout. Checks run cheapest first, so
 * "already there" wins over a missing remote: a node that is where it should
 * be is never reported as a failure.
 */
export function planSwitch(input: PlanSwitchInput): SwitchPlan {
  const early = planWithoutRemote(input);
  if (early) return early;
  const from = input.current.branch as string;
  if (input.remoteName === null) return { action: 'leave', reason: 'remote-not-found', branch: from };
  return { action: 'switch', from, to: input.targetBranch, remote: input.remoteName };
}

export interface PreprodChoiceInput {
  /** The branch planSwitch chose to switch to. */
  target: string;
  settings: Pick<PreProdSettings, 'branch' | 'productionBranch'>;
  /** Tip of `<remote>/<preprod>` after the fetch; null when the remote has no preprod branch. */
  preprodTip: string | null;
  /** Whether preprod contains the production tip (`merge-base --is-ancestor production preprod`). */
  productionContained: boolean;
}

export interface PreprodChoice {
  /** The branch to actually put the checkout on. */
  branch: string;
  /** Set when preprod was wanted but production is used instead. */
  reason?: 'preprod-unavailable';
  /** Why preprod is unavailable, for logs. */
  detail?: 'missing-on-remote' | 'lacks-production-tip';
}

/**
 * A preprod node must never miss a fix that is already on production: when
 * preprod is missing or lags behind production, production is used instead.
 */
export function choosePreprodOrFallback(input: PreprodChoiceInput): PreprodChoice {
  const { target, settings } = input;
  if (target !== settings.branch) return { branch: target };
  if (input.preprodTip === null) {
    return { branch: settings.productionBranch, reason: 'preprod-unavailable', detail: 'missing-on-remote' };
  }
  if (!input.productionContained) {
    return { branch: settings.productionBranch, reason: 'preprod-unavailable', detail: 'lacks-production-tip' };
  }
  return { branch: settings.branch };
}
