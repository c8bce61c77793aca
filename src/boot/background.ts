/**
 * Background work of a long-lived process (docs/design.md §4, §5): the preprod
 * recheck (preprod still exists and contains master's tip) and the deferred
 * check (the decision once FluxOS's MongoDB connection exists). Both run as a
 * `check`: they take the boot lock, store what they find and restart FluxOS
 * through the strategy; they never move the checkout under a running FluxOS.
 * Timers are unref'd: they never keep a process alive.
 */
import type { BootResult } from './result';

export interface BackgroundTimings {
  /** The first run comes a uniform time in [firstMinMs, firstMaxMs] after the boot. Default 60–120 s. */
  firstMinMs: number;
  firstMaxMs: number;
  /** Then every this many ms, ±10%. Default recheckHours. */
  everyMs: number;
}

export const FIRST_MIN_MS = 60_000;
export const FIRST_MAX_MS = 120_000;
/** How long a deferred check waits between looks for FluxOS's connection. */
const DEFERRED_RETRY_MS = 60_000;

/** Which background work a boot's outcome calls for. Pure. */
export function backgroundWork(
  result: BootResult,
  seen: { storeless: boolean; markerBy: string | null } | undefined,
  hasDbSource: boolean,
) {
  const onPreprod = result.mode === 'preprod' && !result.branch.switched && !result.restartPending;
  // A boot that a deferred check restarted and that again had no store does not restart FluxOS again:
  // its connection comes up too slowly for the boot, and another restart would only repeat that.
  const deferred = hasDbSource && (seen?.storeless ?? false) && seen?.markerBy !== 'deferred' && !result.restartPending;
  return { recheck: onPreprod, deferred };
}

/** `ms` ± `share`, with `random` in [0, 1). Pure. */
export function jittered(ms: number, share: number, random: () => number): number {
  return Math.round(ms * (1 - share + 2 * share * random()));
}

export interface Scheduler {
  stop(): void;
}

/**
 * Runs `job` first after `firstMs`, then after each `nextMs()` while it
 * resolves true (false: done for good). A run never overlaps the next.
 */
export function schedule(firstMs: number, nextMs: () => number, job: () => Promise<boolean>): Scheduler {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const arm = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void job().then(
        (again) => (again ? arm(nextMs()) : undefined),
        () => arm(nextMs()),
      );
    }, ms);
    timer.unref();
  };
  arm(firstMs);
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

export function firstDelay(timings: BackgroundTimings, random: () => number): number {
  return timings.firstMinMs + Math.round((timings.firstMaxMs - timings.firstMinMs) * random());
}

export { DEFERRED_RETRY_MS };
