/**
 * A withdrawn preprod (docs/design.md §4): preprod was rewound or force-pushed,
 * so the commit a preprod node runs is no longer on it. Such a node converges to
 * the new tip (or to production when that tip lacks production's): it must not
 * keep running a withdrawn commit that lacks the fixes after it, and the
 * watchdog's `git pull` cannot reconcile the divergence. A node merely behind
 * the tip is not withdrawn: the watchdog's update fast-forwards it.
 */
import type { Checkout } from './index';

/** Pure: the tip no longer contains HEAD. `headInTip` is `merge-base --is-ancestor HEAD tip`. */
export function isWithdrawn(headCommit: string, tip: string | null, headInTip: boolean): boolean {
  return tip !== null && tip !== headCommit && !headInTip;
}

/**
 * Whether `<remote>/<branch>` as last fetched (locally: no network) no longer
 * contains `headCommit`; the tip when it does not, else null. One git process
 * when HEAD is the tip (the common case), two otherwise.
 */
export async function withdrawnBy(
  checkout: Pick<Checkout, 'remoteTip' | 'isAncestor'>,
  remote: string,
  branch: string,
  headCommit: string,
): Promise<string | null> {
  const tip = await checkout.remoteTip(remote, branch);
  if (tip === null || tip === headCommit) return null;
  return isWithdrawn(headCommit, tip, await checkout.isAncestor(headCommit, tip)) ? tip : null;
}
