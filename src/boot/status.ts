/**
 * `status`: what a boot would decide now, from local state, without drawing,
 * writing or touching git (docs/design.md §8).
 */
import { decide, describeDecision } from '../cohort/decide';
import { describeError } from '../errors';
import type { BootDeps } from './context';
import { NO_STATE_DOCS, readFlags, readStateDocs, type StateDocs } from './inputs';
import { resultFrom, type BootResult } from './result';

export async function predictBoot(deps: BootDeps): Promise<BootResult> {
  const { settings } = deps;
  const flags = readFlags(deps.userconfig, deps.repoDir, deps.logger);
  const head = await deps.checkout.head().catch(() => null);
  let docs: StateDocs = NO_STATE_DOCS;
  if (!flags.development) {
    try {
      docs = await readStateDocs(deps.store);
    } catch (error) {
      const message = `store-unavailable: ${describeError(error)}`;
      return resultFrom({
        head,
        before: head?.branch ?? null,
        decision: null,
        reason: 'store-unavailable',
        settings,
        message,
      });
    }
  }
  // A pending re-draw is reported, not made: status never draws. The stand-in
  // draw is the highest possible one, so only probability 1 (where every draw
  // is selected) reports "selected" before the draw is made.
  const decision = decide({
    settings: settings.preProd,
    flags,
    ...docs,
    now: deps.now(),
    random: () => 1 - Number.EPSILON,
  });
  if (decision.cohort?.rolled) decision.cohort = { ...decision.cohort, draw: null };
  const message = decision.cohort?.rolled
    ? `no valid cohort draw is stored (${decision.cohort.redrawReason}); the next boot draws anew`
    : describeDecision(decision);
  const current = resultFrom({
    head,
    before: head?.branch ?? null,
    decision,
    reason: decision.reason,
    settings,
    message,
  });
  // `after` is where a boot would put the checkout; status itself moves nothing.
  return { ...current, branch: { before: head?.branch ?? null, after: decision.targetBranch, switched: false } };
}
