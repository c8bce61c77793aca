/** What the boot steps share: the service's dependencies, this run's phase, and what one step hands the next. */
import type { Checkout, Head } from '../checkout';
import type { BranchDecision } from '../cohort/decide';
import type { RandomSource } from '../cohort/random';
import type { Logger } from '../logger';
import type { ProcessContext } from '../restart/strategy';
import type { StateStore } from '../state';
import type { ReasonCode, RestartStrategy, Settings } from '../types';
import type { Inputs } from './inputs';
import type { BootPhase } from './phase';
import type { RestartMarker } from './restartMarker';
import type { BootResult, PendingStep } from './result';

/** The service's dependencies, fixed for its lifetime. */
export interface BootDeps {
  settings: Settings;
  repoDir: string;
  checkout: Checkout;
  /**
   * The state store: waits up to `waitMs` (default storeWaitMs) for FluxOS's
   * connection; rejects with the reason when there is none.
   */
  getStore: (waitMs?: number) => Promise<StateStore>;
  logger: Logger;
  now: () => Date;
  random: RandomSource;
  /** Path of userconfig.js, or the object FluxOS loaded from it. */
  userconfig: string | Record<string, unknown> | undefined;
  /** Overrides settings.preProd.restart. */
  restart?: RestartStrategy;
  processContext?: ProcessContext;
  exit?: (code: number) => void;
}

/**
 * What a run does: `boot` decides and moves; `status` takes no step that
 * draws, writes, fetches or moves and names the first it skipped; `check`
 * (background) decides and stores but never moves the checkout under a
 * running FluxOS: it restarts it instead, and the next boot moves.
 */
export type RunKind = 'boot' | 'status' | 'check';

/** One run: the dependencies, the deadline, and the phase the deadline reads. */
export interface BootRun extends BootDeps {
  kind: RunKind;
  signal: AbortSignal;
  /** When deciding must be over (ms since the epoch); the fetch gets no more than what is left. */
  deadlineAt: number;
  phase: BootPhase;
  /** status: the first step it could not take. */
  pending: PendingStep | null;
  /** status: every step it could not take, in order, each once. */
  pendingSteps?: PendingStep[];
  /** check: look at the remote although the node is on its branch (the preprod recheck). */
  lookAgain?: boolean;
  /** What the run found, for the background work scheduled after a boot. */
  seen?: { storeless: boolean; markerBy: string | null; marker: RestartMarker | null };
  /** Called once the checkout moved, before install and restart: /flux/info shows the new branch. */
  onSwitched?: (result: BootResult) => void;
}

/** Where a switch is planned to: handed from step to step. */
export interface Planned {
  inputs: Inputs;
  head: Head;
  decision: BranchDecision;
  remote: string;
  /** The branch the checkout goes to (the decision's, or production when preprod is unusable). */
  branch: string;
  reason: ReasonCode;
  /** Set when the node stays on preprod but moves off a withdrawn commit to the new tip (docs/design.md §4). */
  newTip?: string;
}

/**
 * What an action that may fail without ending the run reports: it worked, or why not, in one sentence for
 * the log and the result. One type for it, so `null` never has to mean success (persist.ts, choose.ts;
 * healthy.ts still answers `string | null` and is the next to take it).
 */
export type Attempt = { ok: true } | { ok: false; why: string };

export const SUCCEEDED: Attempt = Object.freeze({ ok: true });

export function failedBecause(why: string): Attempt {
  return { ok: false, why };
}

/** A step either ends the run with a result or hands the next step what it found. */
export type Step<T> = { done: BootResult } | { next: T };

export function done<T>(result: BootResult): Step<T> {
  return { done: result };
}

/** Stops a run whose deadline passed before it starts another step that would change something. */
export class DeadlineReached extends Error {
  constructor() {
    super('Deadline reached.');
    this.name = 'DeadlineReached';
  }
}

export function checkDeadline(run: BootRun): void {
  if (run.signal.aborted) throw new DeadlineReached();
}

/** Notes a step status could not take; the first stays `pending`, all are kept. */
export function notePending(run: BootRun, step: PendingStep): void {
  run.pending ??= step;
  run.pendingSteps ??= [];
  if (!run.pendingSteps.includes(step)) run.pendingSteps.push(step);
}
