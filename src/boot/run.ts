/**
 * Running the steps (docs/design.md §5): a boot raced against its deadline,
 * the read-only status, and the background checks of a long-lived process.
 */
import { describeError, isPreprodError } from '../errors';
import {
  backgroundWork,
  DEFERRED_RETRY_MS,
  FIRST_MAX_MS,
  FIRST_MIN_MS,
  firstDelay,
  jittered,
  schedule,
  type BackgroundTimings,
  type Scheduler,
} from './background';
import { DeadlineReached, type BootDeps, type BootRun, type RunKind } from './context';
import { deadlineOutcome, phaseHead } from './phase';
import { resultFrom, type BootResult } from './result';
import { runBoot } from './steps';

type Seen = BootRun['seen'];

/** How long a fetch cut by the deadline (its own timeout is the deadline) may take to end before the boot reports. */
const FETCH_GRACE_MS = 3_000;

function newRun(deps: BootDeps, kind: RunKind, controller: AbortController): BootRun {
  const deadlineAt = Date.now() + deps.settings.preProd.bootDeadlineMs;
  return { ...deps, kind, signal: controller.signal, deadlineAt, phase: { name: 'lock' }, pending: null };
}

function bugResult(run: BootRun, error: unknown): BootResult {
  const { head, before, decision } = phaseHead(run.phase);
  if (run.phase.name === 'lock' && isPreprodError(error, 'timeout')) {
    // Not a bug: another boot of this checkout held the lock for as long as this one could wait.
    const message = `boot-locked: ${describeError(error)}; the node is left where it is`;
    run.logger.warn(message);
    return resultFrom({ head, before, decision, settings: run.settings, reason: 'boot-locked', message });
  }
  // A bug, not an expected failure: still leave the node where it is, and say it is ours (not the store's).
  run.logger.error(`boot step failed unexpectedly, the node is left where it is: ${describeError(error)}`);
  const message = `internal-error: left alone after an unexpected error: ${describeError(error)}`;
  return resultFrom({ head, before, decision, settings: run.settings, reason: 'internal-error', message });
}

function leftAtDeadline(run: BootRun, reason: BootResult['reason']): BootResult {
  const deadlineMs = run.settings.preProd.bootDeadlineMs;
  const during = `boot step reached its ${deadlineMs} ms deadline during ${run.phase.name}`;
  const message = `${during}; the node is left where it is (${reason})`;
  run.logger.warn(message);
  const { head, before, decision } = phaseHead(run.phase);
  return resultFrom({ head, before, decision, reason, settings: run.settings, message });
}

/** A boot against its deadline: before the checkout begins it gives up in time; after, it runs to its end. */
export async function runWithDeadline(
  deps: BootDeps,
  onSwitched: (result: BootResult) => void,
): Promise<{ outcome: BootResult; seen: Seen }> {
  const controller = new AbortController();
  const run = { ...newRun(deps, 'boot', controller), onSwitched };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<BootResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      const outcome = deadlineOutcome(run.phase);
      if (outcome.kind === 'leave') resolve(leftAtDeadline(run, outcome.reason));
      else if (outcome.kind === 'finish-step')
        setTimeout(() => resolve(leftAtDeadline(run, outcome.reason)), FETCH_GRACE_MS).unref();
      else run.logger.warn(`boot step reached its deadline during ${run.phase.name}; a begun checkout runs to its end`);
    }, deps.settings.preProd.bootDeadlineMs);
  });
  const work = runBoot(run).catch((error: unknown) =>
    error instanceof DeadlineReached ? deadline : bugResult(run, error),
  );
  try {
    return { outcome: await Promise.race([work, deadline]), seen: run.seen };
  } finally {
    clearTimeout(timer);
  }
}

/** status: the same steps, taking none that draws, writes, fetches or moves. */
export async function runStatus(deps: BootDeps): Promise<BootResult> {
  const run = newRun(deps, 'status', new AbortController());
  return runBoot(run).catch((error: unknown) => bugResult(run, error));
}

/** One background check; resolves with the result, null when it could not run. */
async function runCheck(deps: BootDeps, lookAgain: boolean): Promise<BootResult | null> {
  const run = { ...newRun(deps, 'check', new AbortController()), lookAgain };
  try {
    return await runBoot(run);
  } catch (error) {
    deps.logger.warn(`background check failed: ${describeError(error)}`);
    return null;
  }
}

/** The background timings, each its own knob, so a test that shortens one changes no other. */
export interface CheckTimings extends BackgroundTimings {
  /** How long the deferred check waits before looking for FluxOS's database again. Default 60 s. */
  deferredRetryMs: number;
}

/** The timings of a service: the defaults, with what a test (src/testing.ts) shortened. Pure. */
export function checkTimings(recheckHours: number, given: Partial<CheckTimings> | undefined): CheckTimings {
  return {
    firstMinMs: given?.firstMinMs ?? FIRST_MIN_MS,
    firstMaxMs: given?.firstMaxMs ?? FIRST_MAX_MS,
    everyMs: given?.everyMs ?? recheckHours * 3_600_000,
    deferredRetryMs: given?.deferredRetryMs ?? DEFERRED_RETRY_MS,
  };
}

/** Schedules the background work a boot's outcome calls for; returns the timers to stop. */
export function runBackground(
  deps: BootDeps,
  outcome: BootResult,
  seen: Seen,
  hasDbSource: boolean,
  given: Partial<CheckTimings> | undefined,
): Scheduler[] {
  const timings = checkTimings(deps.settings.preProd.recheckHours, given);
  const work = backgroundWork(outcome, seen, hasDbSource);
  const random = Math.random;
  const scheduled: Scheduler[] = [];
  if (work.recheck) {
    const every = () => jittered(timings.everyMs, 0.1, random);
    // A check that moved the node to master (restart pending) ends the rechecks.
    scheduled.push(
      schedule(firstDelay(timings, random), every, async () => !(await runCheck(deps, true))?.restartPending),
    );
  }
  if (work.deferred) {
    const retry = () => timings.deferredRetryMs;
    const deferred = async (): Promise<boolean> => {
      const store = await deps.getStore(0).catch(() => null);
      if (store === null) return true; // not yet: look again later
      await runCheck(deps, false);
      return false;
    };
    scheduled.push(schedule(firstDelay(timings, random), retry, deferred));
  }
  return scheduled;
}
