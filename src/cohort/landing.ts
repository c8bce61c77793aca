/**
 * THE rule for "which store writes persist a decision, given the branch the
 * checkout landed on" (docs/design.md §3, §9). Pure.
 */
import { BOOT_HEALTH_KEY, type PreProdSettings } from '../types';
import type { Decision } from './decide';
import type { StoreWrite } from './records';

/**
 * The writes to apply for `decision` when the checkout ends up on
 * `landedBranch` (null: detached or not a checkout). The crash-loop counter
 * only moves for a boot on the preprod branch.
 */
export function writesForLanding(
  decision: Decision,
  landedBranch: string | null,
  settings: Pick<PreProdSettings, 'branch'>,
): StoreWrite[] {
  if (landedBranch === settings.branch) return decision.writes;
  return decision.writes.filter((write) => write.key !== BOOT_HEALTH_KEY);
}
