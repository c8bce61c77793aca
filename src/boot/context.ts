/** What the boot steps share: the service's dependencies and this boot's phase. */
import type { Checkout } from '../checkout';
import type { RandomSource } from '../cohort/random';
import type { Logger } from '../logger';
import type { ProcessContext } from '../restart/strategy';
import type { StateStore } from '../state';
import type { RestartStrategy, Settings } from '../types';
import type { BootPhase } from './phase';
import type { BootResult } from './result';

/** The service's dependencies, fixed for its lifetime. */
export interface BootDeps {
  settings: Settings;
  repoDir: string;
  checkout: Checkout;
  store: StateStore | null;
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

/** One boot: the dependencies, the deadline's signal, and the phase the deadline reads. */
export interface BootRun extends BootDeps {
  signal: AbortSignal;
  phase: BootPhase;
}

/** A step either ends the boot with a result or hands the next step what it found. */
export type Step<T> = { done: BootResult } | { next: T };

export function done<T>(result: BootResult): Step<T> {
  return { done: result };
}

/** Stops a boot whose deadline passed before it starts another step that would change something. */
export class DeadlineReached extends Error {
  constructor() {
    super('Deadline reached.');
    this.name = 'DeadlineReached';
  }
}

export function checkDeadline(run: BootRun): void {
  if (run.signal.aborted) throw new DeadlineReached();
}
