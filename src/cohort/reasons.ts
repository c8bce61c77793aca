/**
 * The reason codes of docs/design.md §8 and what each means for an exit code
 * and for the store. Pure.
 */
import type { ReasonCode } from '../types';

/**
 * Exit code of `boot` and `status` by reason: 0 when the node is where its
 * rules put it, 1 when something outside the node failed (the output says
 * what), 2 for bad config.
 */
export const EXIT_CODE_BY_REASON: Readonly<Record<ReasonCode, 0 | 1 | 2>> = Object.freeze({
  development: 0,
  disabled: 0,
  selected: 0,
  'not-selected': 0,
  'crash-loop': 0,
  'unmanaged-branch': 0,
  'remote-not-found': 0,
  'preprod-unavailable': 0,
  'fetch-failed': 1,
  'store-unavailable': 1,
  'switch-failed': 1,
  'repo-unreadable': 1,
  'config-invalid': 2,
  'boot-locked': 1,
  'internal-error': 1,
});

export function exitCodeForReason(reason: ReasonCode): 0 | 1 | 2 {
  return EXIT_CODE_BY_REASON[reason] ?? 1;
}
