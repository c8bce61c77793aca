/**
 * THE rule for "which store writes persist a decision, given where the
 * checkout landed" (docs/design.md §3 rule 6, §9), and whether the boot may
 * move the checkout when they cannot be saved. Pure.
 */
import { BOOT_HEALTH_KEY, COHORT_KEY, type PreProdSettings } from '../types';
import type { Decision } from './decide';
import { healthWrite } from './health';
import type { StoreWrite } from './records';

/** Where a boot leaves the checkout. */
export interface Landing {
  /** The branch the checkout is on when the boot ends; null when detached or not a checkout. */
  branch: string | null;
  /** The boot moves the checkout (or finishes a move an earlier boot began): it runs the old code. */
  switched: boolean;
  /** A FluxOS boot (or the CLI's boot standing for one), not a background check of a running process. */
  boot: boolean;
}

/**
 * Only a boot that starts on preprod and stays there runs preprod code: it
 * opens its mark in the crash-loop counter. Every other landing writes the
 * counter only when counting changed it (a boot counted, a fallback dated).
 */
export function runsPreprodCode(
  decision: Decision,
  landing: Landing,
  settings: Pick<PreProdSettings, 'branch'>,
): boolean {
  return decision.mode === 'preprod' && landing.boot && landing.branch === settings.branch && !landing.switched;
}

/** The writes that persist `decision` for this landing, in order. */
export function writesForLanding(
  decision: Decision,
  landing: Landing,
  settings: Pick<PreProdSettings, 'branch'>,
  now: Date,
): StoreWrite[] {
  const writes = decision.writes.filter((write) => write.key !== BOOT_HEALTH_KEY);
  if (decision.counter === null) return writes;
  const running = runsPreprodCode(decision, landing, settings);
  const counter = healthWrite(decision.counter.record, decision.counter.changed, running, now);
  return counter === null ? writes : [...writes, counter];
}

/**
 * Rule 6: a decision is applied only once it is stored. The writes must be
 * saved before the checkout moves, and a new draw, a changed outcome or a
 * counted boot must be saved even when it does not move, or the node would
 * re-decide (and could flap) at every boot. Decisions that need no store
 * (opt-out, kill switch) never wait for it, and neither does the open mark
 * of a healthy preprod boot.
 */
export function storeWritesRequired(decision: Decision, writes: readonly StoreWrite[], moves: boolean): boolean {
  if (!decision.needsStore || writes.length === 0) return false;
  if (moves) return true;
  return writes.some((write) => write.key === COHORT_KEY) || (decision.counter?.changed ?? false);
}
