/**
 * What a boot (or a read-only status) reports: the result the CLI prints
 * (docs/design.md §8) and the fields /flux/info shows (§6). Pure.
 */
import type { Head } from '../checkout';
import type { Decision } from '../cohort/decide';
import type { ResolvedRestart } from '../restart/strategy';
import type { Mode, ReasonCode, Settings } from '../types';
import { PROCESS_BOOTED_AT, type FluxInfoFields } from './fluxInfo';

/** The step whose outcome `status` could not know without taking it (docs/design.md §8). */
export type PendingStep = 'draw' | 'fetch' | 'store-write';

/** The outcome of a boot (or of a read-only status), as the CLI's JSON prints it (docs/design.md §8). */
export interface BootResult {
  mode: Mode;
  preProdNode: boolean;
  reason: ReasonCode;
  branch: { before: string | null; after: string | null; switched: boolean };
  commit: string | null;
  cohort: { draw: number | null; probability: number; rolledAt: string; nextRollAt: string; rolled: boolean } | null;
  optedOut: boolean;
  restart: ResolvedRestart;
  /** The package is restarting FluxOS onto the new code (exit, or nodemon's restart): nothing else should run. */
  restartPending: boolean;
  /** status only: the first step it could not take, on which boot's outcome depends; absent when exact. */
  pending?: PendingStep;
  /** status only: every step it could not take, in order (`pending` is the first); absent when exact. */
  pendingSteps?: PendingStep[];
  /** The one readable line that was logged. */
  message: string;
}

export interface ResultParts {
  /** The checkout as it is now (after a switch: the new branch). */
  head: Head | null;
  /** The branch before this boot touched anything. */
  before: string | null;
  decision: Decision | null;
  reason: ReasonCode;
  restart?: ResolvedRestart;
  settings: Settings | null;
  switched?: boolean;
  restartPending?: boolean;
  /** status: where a boot would put the checkout, when not where it is. */
  after?: string | null;
  pending?: PendingStep | null;
  pendingSteps?: readonly PendingStep[] | null;
  message: string;
}

function cohortOf(decision: Decision | null): BootResult['cohort'] {
  const cohort = decision?.cohort;
  if (!cohort) return null;
  return {
    draw: cohort.draw,
    probability: cohort.probability,
    rolledAt: cohort.rolledAt.toISOString(),
    nextRollAt: cohort.nextRollAt.toISOString(),
    rolled: cohort.rolled,
  };
}

export function resultFrom(parts: ResultParts): BootResult {
  const { head, decision, reason, settings, message } = parts;
  const onPreprod = head?.branch === (settings?.preProd.branch ?? 'preprod');
  // The mode says what the node runs, not what it was told to run.
  const skipped = decision?.mode === 'skipped' || reason === 'config-invalid';
  const mode: Mode = skipped ? 'skipped' : onPreprod ? 'preprod' : 'production';
  const after = parts.after !== undefined ? parts.after : (head?.branch ?? null);
  return {
    mode,
    preProdNode: onPreprod,
    reason,
    branch: { before: parts.before, after, switched: parts.switched ?? false },
    commit: head?.commit ?? null,
    cohort: cohortOf(decision),
    optedOut: decision?.optedOut ?? false,
    restart: parts.restart ?? 'none',
    restartPending: parts.restartPending ?? false,
    ...(parts.pending ? { pending: parts.pending } : {}),
    ...(parts.pending && parts.pendingSteps?.length ? { pendingSteps: [...parts.pendingSteps] } : {}),
    message,
  };
}

export function toFluxInfo(result: BootResult, settings: Settings | null): FluxInfoFields {
  return Object.freeze({
    preProdNode: result.preProdNode,
    preProd: Object.freeze({
      mode: result.mode,
      reason: result.reason,
      branch: result.branch.after,
      commit: result.commit,
      probability: result.cohort?.probability ?? settings?.preProd.probability ?? null,
      draw: result.cohort?.draw ?? null,
      rolledAt: result.cohort?.rolledAt ?? null,
      nextRollAt: result.cohort?.nextRollAt ?? null,
      optedOut: result.optedOut,
      bootedAt: PROCESS_BOOTED_AT,
    }),
  });
}
