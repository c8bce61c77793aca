/**
 * Saving a decision (docs/design.md §3 rule 6): the writes for where the
 * checkout lands are stored before anything moves; when they must be and
 * cannot be, nothing moves for a cohort reason (store-unavailable).
 */
import type { Head } from '../checkout';
import { describeDecision, type BranchDecision } from '../cohort/decide';
import { storeWritesRequired, writesForLanding, type Landing } from '../cohort/landing';
import type { StoreWrite } from '../cohort/records';
import { describeError } from '../errors';
import type { ReasonCode } from '../types';
import {
  checkDeadline,
  done,
  failedBecause,
  notePending,
  SUCCEEDED,
  type Attempt,
  type BootRun,
  type Planned,
  type Step,
} from './context';
import type { Inputs } from './inputs';
import { removeRestartMarker } from './restartMarker';
import { resultFrom, type BootResult, type ResultParts } from './result';

/** A result of this run (status carries what it could not know). */
export function leaveResult(run: BootRun, parts: Omit<ResultParts, 'settings'>): BootResult {
  return resultFrom({ pending: run.pending, pendingSteps: run.pendingSteps, ...parts, settings: run.settings });
}

/** Applies writes in order: all saved, or the error that stopped them. */
async function applyWrites(run: BootRun, writes: readonly StoreWrite[]): Promise<Attempt> {
  if (writes.length === 0) return SUCCEEDED;
  try {
    const store = await run.getStore();
    for (const write of writes) {
      if ('delete' in write) await store.delete(write.key);
      else await store.set(write.key, write.value);
    }
    return SUCCEEDED;
  } catch (error) {
    return failedBecause(describeError(error));
  }
}

/**
 * Saves the writes of `decision` for `landing`. Succeeds when the run may go
 * on; fails with why it may not (the writes were required and not saved).
 * status saves nothing and notes the step instead.
 */
async function save(
  run: BootRun,
  decision: BranchDecision,
  landing: Omit<Landing, 'boot'>,
  how: { moves: boolean; leave?: boolean },
): Promise<Attempt> {
  const atBoot = { ...landing, boot: run.kind !== 'check' };
  const writes = writesForLanding(decision, atBoot, run.settings.preProd, run.now());
  const required = storeWritesRequired(decision, writes, how.moves);
  if (run.kind === 'status') {
    // A node left alone is left alone whether or not the writes are saved.
    if (required && !how.leave) notePending(run, 'store-write');
    return SUCCEEDED;
  }
  const saved = await applyWrites(run, writes);
  // The marker has done its job once the counter that it exempted is saved.
  const marker = run.seen?.marker ?? null;
  if (saved.ok && run.kind === 'boot' && marker !== null) await removeRestartMarker(run.repoDir, marker);
  if (saved.ok || required) return saved;
  run.logger.warn(`could not save the decision (${saved.why}); it needs no store, the boot goes on`);
  return SUCCEEDED;
}

function notSaved(run: BootRun, decision: BranchDecision, head: Head, why: string): BootResult {
  const unsaved = `store-unavailable: the decision could not be saved (${why})`;
  const message = `${describeDecision(decision)}; ${unsaved}; nothing moves until it can be`;
  run.logger.warn(message);
  return leaveResult(run, { head, before: head.branch, decision, reason: 'store-unavailable', message });
}

export interface Stay {
  inputs: Inputs;
  head: Head;
  decision: BranchDecision;
  reason: ReasonCode;
  /** Left alone (unmanaged branch, no remote, fetch failed): the decision's writes are kept if they can be. */
  leave?: boolean;
  /** What the log line says after the decision. */
  why?: string;
}

/** The checkout stays where it is: save what this landing needs, and say why. */
export async function stayResult(run: BootRun, stay: Stay): Promise<BootResult> {
  const { head, decision, reason } = stay;
  const landing = { branch: head.branch, switched: false };
  const saved = await save(run, decision, landing, { moves: false, leave: stay.leave });
  if (!saved.ok && !stay.leave) return notSaved(run, decision, head, saved.why);
  if (!saved.ok) run.logger.warn(`could not save the decision (${saved.why}); the next boot decides again`);
  const where = stay.why ?? (stay.leave ? `left alone (${reason})` : 'already on it');
  const message = `${describeDecision(decision)}; ${where}`;
  if (stay.leave || reason !== decision.reason) run.logger.warn(message);
  else run.logger.info(message);
  return leaveResult(run, { head, before: head.branch, decision, reason, message });
}

/** Before the checkout moves: the decision is saved, or nothing moves. */
export async function persistDecision(run: BootRun, planned: Planned): Promise<Step<Planned>> {
  const { head, decision } = planned;
  run.phase = { name: 'persist', head, decision };
  const saved = await save(run, decision, { branch: planned.branch, switched: true }, { moves: true });
  if (!saved.ok) return done(notSaved(run, decision, head, saved.why));
  checkDeadline(run);
  return { next: planned };
}
