/**
 * The boot step FluxOS runs once at startup (docs/design.md §3–§5, §9):
 * decide the cohort, put the checkout on the matching branch, restart onto
 * it, and keep the outcome in memory for /flux/info. This file wires the
 * service together and races the boot steps (steps.ts) against the deadline;
 * its one promise is that runAtBoot() never throws.
 */
import * as path from 'node:path';
import type { Db } from 'mongodb';
import type { Checkout } from '../checkout';
import { openRepository } from '../checkout/repository';
import { markHealthyWrite } from '../cohort/decide';
import { cryptoRandom, type RandomSource } from '../cohort/random';
import { readSettings } from '../config/settings';
import { describeError } from '../errors';
import { safeLogger, type Logger } from '../logger';
import type { ProcessContext } from '../restart/strategy';
import { MongoStateStore, type StateStore } from '../state';
import { BOOT_HEALTH_KEY, type ReasonCode, type RestartStrategy, type Settings } from '../types';
import type { BootDeps, BootRun } from './context';
import { PENDING_FLUX_INFO, type FluxInfoFields } from './fluxInfo';
import { deadlineOutcome, phaseHead } from './phase';
import { resultFrom, toFluxInfo, type BootResult } from './result';
import { predictBoot } from './status';
import { runBoot } from './steps';

export type { BootResult } from './result';

export interface PreprodServiceOptions {
  /** The FluxOS checkout (~/zelflux, or $FLUXOS_PATH on ArcaneOS). */
  repoDir: string;
  /** Where the cohort lives. Give `store`, or `db` (FluxOS's `zelfluxlocal` Db handle). */
  store?: StateStore;
  db?: Db;
  /** Validated settings, or a raw object deep-merged over config/default.json and validated. */
  settings?: Settings | Record<string, unknown>;
  /** Path of userconfig.js, or what it exports. Default `<repoDir>/config/userconfig.js`. */
  userconfig?: string | Record<string, unknown>;
  /** Any logger with error/warn/info/debug taking one string (FluxOS's fits). */
  logger?: Partial<Logger>;
  /** Overrides settings.preProd.restart. */
  restart?: RestartStrategy;
  /** Mark the boot healthy after settings.preProd.healthyAfterMs if still up. Default true. */
  armHealthyTimer?: boolean;
  /** Test seams. */
  now?: () => Date;
  random?: RandomSource;
  exit?: (code: number) => void;
  processContext?: ProcessContext;
  /** The checkout port; default the git adapter on repoDir. */
  repository?: Checkout;
}

export interface PreprodService {
  /** Decide, switch, restart. Never throws; resolves within settings.preProd.bootDeadlineMs. */
  runAtBoot(): Promise<BootResult>;
  /** The decision a boot would make now, without drawing, writing or touching git. Never throws. */
  status(): Promise<BootResult>;
  /** This boot is healthy: clear the crash-loop count. Resolves true when a count was cleared. Never throws. */
  markHealthy(): Promise<boolean>;
  /** What /flux/info shows: synchronous, no I/O. */
  fluxInfo(): FluxInfoFields;
  /** The last result, or null before runAtBoot() resolved. */
  lastResult(): BootResult | null;
}

function loadSettings(raw: PreprodServiceOptions['settings']): { settings: Settings | null; error: string | null } {
  try {
    // Validated settings pass validation again unchanged, so everything goes through it.
    return { settings: readSettings({ overrides: raw }), error: null };
  } catch (error) {
    return { settings: null, error: describeError(error) };
  }
}

function storeFrom(options: PreprodServiceOptions, logger: Logger): StateStore | null {
  if (options.store) return options.store;
  if (!options.db) return null;
  try {
    return new MongoStateStore(options.db);
  } catch (error) {
    logger.error(`cannot use the MongoDB handle: ${describeError(error)}`);
    return null;
  }
}

/** Everything a boot needs except the settings, which may be invalid. */
function sharedDeps(options: PreprodServiceOptions, logger: Logger, now: () => Date): Omit<BootDeps, 'settings'> {
  const repoDir = path.resolve(options.repoDir ?? '.');
  return {
    repoDir,
    checkout: options.repository ?? openRepository(repoDir),
    store: storeFrom(options, logger),
    logger,
    now,
    random: options.random ?? cryptoRandom,
    userconfig: options.userconfig,
    restart: options.restart,
    processContext: options.processContext,
    exit: options.exit,
  };
}

export function createPreprodService(options: PreprodServiceOptions): PreprodService {
  const logger = safeLogger(options.logger, '[preprod] ');
  const now = options.now ?? (() => new Date());
  // Nothing here may throw to the host: every bad input becomes a result.
  const { settings, error: settingsError } = loadSettings(options.settings);
  const shared = sharedDeps(options, logger, now);
  const { checkout, store } = shared;
  let result: BootResult | null = null;
  let info: FluxInfoFields = PENDING_FLUX_INFO;
  let healthyTimer: NodeJS.Timeout | null = null;

  const remember = (next: BootResult): BootResult => {
    result = next;
    info = toFluxInfo(next, settings);
    return next;
  };
  const leftAlone = async (reason: ReasonCode, message: string): Promise<BootResult> => {
    const head = await checkout.head().catch(() => null);
    return resultFrom({ head, before: head?.branch ?? null, decision: null, reason, settings, message });
  };
  const depsFor = (active: Settings): BootDeps => ({ ...shared, settings: active });

  const markHealthy = async (): Promise<boolean> => {
    if (healthyTimer) clearTimeout(healthyTimer);
    healthyTimer = null;
    return markBootHealthy(store, now(), logger);
  };

  const runAtBoot = async (): Promise<BootResult> => {
    if (settings === null) {
      logger.error(`settings are invalid, the node is left where it is: ${settingsError}`);
      return remember(await leftAlone('config-invalid', `skipped: config-invalid (${settingsError})`));
    }
    const outcome = await raceDeadline(depsFor(settings));
    remember(outcome);
    if (outcome.mode === 'preprod' && options.armHealthyTimer !== false && settings.preProd.healthyAfterMs > 0) {
      healthyTimer = setTimeout(() => void markHealthy(), settings.preProd.healthyAfterMs);
      healthyTimer.unref();
    }
    return outcome;
  };

  const status = async (): Promise<BootResult> => {
    if (settings === null) return leftAlone('config-invalid', `config-invalid: ${settingsError}`);
    return predictBoot(depsFor(settings));
  };

  return { runAtBoot, status, markHealthy, fluxInfo: () => info, lastResult: () => result };
}

/** Clears the crash-loop count of this period. Never throws. */
async function markBootHealthy(store: StateStore | null, now: Date, logger: Logger): Promise<boolean> {
  try {
    if (!store) return false;
    const write = markHealthyWrite(await store.get(BOOT_HEALTH_KEY), now);
    if (!write || 'delete' in write) return false;
    await store.set(write.key, write.value);
    logger.info('this boot is healthy; the crash-loop count is cleared');
    return true;
  } catch (error) {
    logger.warn(`could not mark this boot healthy: ${describeError(error)}`);
    return false;
  }
}

/** The boot steps against the deadline: whichever ends first gives the result. */
async function raceDeadline(deps: BootDeps): Promise<BootResult> {
  const deadlineMs = deps.settings.preProd.bootDeadlineMs;
  const controller = new AbortController();
  const run: BootRun = { ...deps, signal: controller.signal, phase: { name: 'inputs', head: null } };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<BootResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(onDeadline(run, deadlineMs));
    }, deadlineMs);
  });
  const work = runBoot(run).catch((error: unknown) => {
    // A bug, not an expected failure: still leave the node where it is.
    deps.logger.error(`boot step failed unexpectedly, the node is left where it is: ${describeError(error)}`);
    const { head, before, decision } = phaseHead(run.phase);
    const message = `left alone after an unexpected error: ${describeError(error)}`;
    return resultFrom({
      head,
      before,
      decision,
      settings: deps.settings,
      reason: decision?.reason ?? 'store-unavailable',
      message,
    });
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function onDeadline(run: BootRun, deadlineMs: number): BootResult {
  const { reason, switched } = deadlineOutcome(run.phase);
  const where = switched ? 'the switch finishes in the background' : 'the node is left where it is';
  const message = `boot step reached its ${deadlineMs} ms deadline during ${run.phase.name}; ${where} (${reason})`;
  run.logger.warn(message);
  const { head, before, decision } = phaseHead(run.phase);
  return resultFrom({ head, before, decision, reason, settings: run.settings, switched, message });
}
