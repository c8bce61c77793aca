/**
 * The boot step FluxOS runs once at startup (docs/design.md §3–§5, §9):
 * decide the cohort, put the checkout on the matching branch, restart onto
 * it, and keep the outcome in memory for /flux/info. This file wires the
 * service together; run.ts races the steps against the deadline. Its one
 * promise is that runAtBoot() never throws.
 */
import * as path from 'node:path';
import type { Checkout } from '../checkout';
import { openRepository } from '../checkout/repository';
import { cryptoRandom, type RandomSource } from '../cohort/random';
import { readSettings } from '../config/settings';
import { describeError } from '../errors';
import { safeLogger, type Logger } from '../logger';
import { escapeText } from '../text';
import type { ProcessContext } from '../restart/strategy';
import type { StateStore } from '../state';
import type { ReasonCode, RestartStrategy, Settings } from '../types';
import type { BootDeps } from './context';
import { PENDING_FLUX_INFO, type FluxInfoFields } from './fluxInfo';
import { markHealthy, type HealthyReport } from './healthy';
import { resultFrom, toFluxInfo, type BootResult } from './result';
import { runBackground, runWithDeadline, runStatus, type CheckTimings } from './run';
import { trackStart } from './startRecords';
import { storeGetter, type DbSource } from './storeWait';

export type { BootResult, PendingStep } from './result';
export type { HealthyReport } from './healthy';
export type { DbSource } from './storeWait';

/** What a host (FluxOS) gives the service: the package's public options. */
export interface PreprodServiceOptions {
  /** The FluxOS checkout (~/zelflux, or $FLUXOS_PATH on ArcaneOS). */
  repoDir: string;
  /** Where the cohort lives. Give `store`, or `db`: FluxOS's `zelfluxlocal` Db, or a getter or promise of it. */
  store?: StateStore;
  /** Waited for up to settings.preProd.storeWaitMs; the service never opens a MongoDB client itself. */
  db?: DbSource;
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
  /** The preprod recheck and the deferred check of a long-lived process. Default true; a one-shot CLI boot: false. */
  backgroundChecks?: boolean;
}

/**
 * What the package's own callers may replace, and a host may not: the tests (through src/testing.ts) and the
 * CLI, which reports a restart instead of exiting for it. Not part of the public API.
 */
export interface ServiceSeams {
  /** Shortened background timings; default the production ones. */
  backgroundTimings?: Partial<CheckTimings>;
  /** The clock; default `new Date()`. */
  now?: () => Date;
  /** The random source of a new draw; default the cryptographic one. */
  random?: RandomSource;
  /** How the `exit` restart ends the process; default process.exit. */
  exit?: (code: number) => void;
  /** The process's supervisor, as `auto` reads it; default read from /proc and the environment. */
  processContext?: ProcessContext;
  /** The checkout port; default the git adapter on repoDir, logging to `logger`. */
  repository?: Checkout;
}

export type ServiceOptions = PreprodServiceOptions & ServiceSeams;

export interface PreprodService {
  /**
   * Decide, switch, restart. Never throws. Resolves within
   * settings.preProd.bootDeadlineMs unless a checkout has begun (it then resolves
   * when the checkout ends); after a switch under `exit` it never resolves.
   */
  runAtBoot(): Promise<BootResult>;
  /** What a boot would do now, without drawing, writing, fetching or moving anything. Never throws. */
  status(): Promise<BootResult>;
  /**
   * This boot is healthy: clear the crash-loop count. Resolves with `cleared` (a count or an open mark was
   * cleared) and the one sentence that says what it did, or why it changed nothing. Never throws.
   */
  markHealthy(): Promise<HealthyReport>;
  /** What /flux/info shows: synchronous, no I/O. */
  fluxInfo(): FluxInfoFields;
  /** The last result, or null before runAtBoot() resolved. */
  lastResult(): BootResult | null;
  /** Stops the background checks and the healthy timer. */
  stop(): void;
}

function loadSettings(raw: ServiceOptions['settings']): { settings: Settings | null; error: string | null } {
  try {
    // Validated settings pass validation again unchanged, so everything goes through it.
    return { settings: readSettings({ overrides: raw }), error: null };
  } catch (error) {
    return { settings: null, error: describeError(error) };
  }
}

/**
 * What a boot that resolved leaves running, all unref'd: the healthy timer of
 * a boot that runs preprod code, and the background checks.
 */
function scheduleAfterBoot(
  options: ServiceOptions,
  deps: BootDeps,
  boot: Awaited<ReturnType<typeof runWithDeadline>>,
  markHealthy: () => Promise<unknown>,
): Array<{ stop(): void }> {
  const { outcome, seen } = boot;
  const scheduled: Array<{ stop(): void }> = [];
  const healthyAfterMs = deps.settings.preProd.healthyAfterMs;
  const runsPreprod = outcome.mode === 'preprod' && !outcome.branch.switched;
  if (runsPreprod && options.armHealthyTimer !== false && healthyAfterMs > 0) {
    const timer = setTimeout(() => void markHealthy(), healthyAfterMs);
    timer.unref();
    scheduled.push({ stop: () => clearTimeout(timer) });
  }
  if (options.backgroundChecks !== false) {
    const waitsForDb = options.db !== undefined && options.store === undefined;
    scheduled.push(...runBackground(deps, outcome, seen, waitsForDb, options.backgroundTimings));
  }
  return scheduled;
}

/** Everything a run needs except the settings, which may be invalid. */
function sharedDeps(options: ServiceOptions, logger: Logger, settings: Settings | null): Omit<BootDeps, 'settings'> {
  const repoDir = path.resolve(options.repoDir ?? '.');
  const storeWaitMs = () => settings?.preProd.storeWaitMs ?? 0;
  return {
    repoDir,
    checkout: options.repository ?? openRepository(repoDir, { logger }),
    getStore: storeGetter(options.store, options.db, storeWaitMs, logger),
    logger,
    now: options.now ?? (() => new Date()),
    random: options.random ?? cryptoRandom,
    userconfig: options.userconfig,
    restart: options.restart,
    processContext: options.processContext,
    exit: options.exit,
  };
}

/**
 * The service FluxOS creates (the package entry's one factory). A host's options only: a seam passed from
 * JavaScript is dropped, so production timing, randomness and process exit are never a caller's to change.
 */
export function createPreprodService(options: PreprodServiceOptions): PreprodService {
  const { repoDir, store, db, settings, userconfig, logger, restart, armHealthyTimer, backgroundChecks } = options;
  warnOfUnknownOptions(options);
  return createService({
    repoDir,
    store,
    db,
    settings,
    userconfig,
    logger,
    restart,
    armHealthyTimer,
    backgroundChecks,
  });
}

const HOST_OPTIONS: ReadonlySet<string> = new Set<keyof PreprodServiceOptions>([
  'repoDir',
  'store',
  'db',
  'settings',
  'userconfig',
  'logger',
  'restart',
  'armHealthyTimer',
  'backgroundChecks',
]);

/**
 * A host passing an option the factory does not take (a typo, or a seam from the tests) would otherwise see it
 * silently do nothing: one warning line names them. Never throws: the options may be anything JavaScript sends.
 */
function warnOfUnknownOptions(options: PreprodServiceOptions): void {
  try {
    const unknown = Object.keys(options).filter((key) => !HOST_OPTIONS.has(key));
    if (unknown.length === 0) return;
    const names = unknown.slice(0, 5).map((key) => `\`${escapeText(key, 40)}\``);
    safeLogger(options.logger, '[preprod] ').warn(
      `createPreprodService ignores ${names.join(', ')}${unknown.length > 5 ? ' and more' : ''}: ` +
        'not options of the package entry (the options are listed in docs/fluxos.md).',
    );
  } catch {
    // An options object that cannot be listed is the factory's business to ignore, not to throw about.
  }
}

/** The service with its seams: for the CLI and, through src/testing.ts, the tests. */
export function createService(options: ServiceOptions): PreprodService {
  const logger = safeLogger(options.logger, '[preprod] ');
  // Nothing here may throw to the host: every bad input becomes a result.
  const { settings, error: settingsError } = loadSettings(options.settings);
  const shared = sharedDeps(options, logger, settings);
  let result: BootResult | null = null;
  let info: FluxInfoFields = PENDING_FLUX_INFO;
  const timers: Array<{ stop(): void }> = [];
  // The running start in the start records (docs/design.md §9).
  const starts = trackStart(shared.repoDir, shared.now);
  shared.currentStart = starts.current;
  const stop = (): void => timers.splice(0).forEach((timer) => timer.stop());

  const remember = (next: BootResult): BootResult => {
    result = next;
    info = toFluxInfo(next, settings);
    return next;
  };
  const leftAlone = async (reason: ReasonCode, message: string): Promise<BootResult> => {
    const head = await shared.checkout.head().catch(() => null);
    return resultFrom({ head, before: head?.branch ?? null, decision: null, reason, settings, message });
  };
  const markThisBoot = async (): Promise<HealthyReport> => {
    if (settings === null) return { cleared: false, message: `config-invalid: ${settingsError}` };
    starts.healthy(result);
    return markHealthy({ ...shared, settings }, result);
  };

  const runAtBoot = async (): Promise<BootResult> => {
    if (settings === null) {
      logger.error(`settings are invalid, the node is left where it is: ${settingsError}`);
      return remember(await leftAlone('config-invalid', `skipped: config-invalid (${settingsError})`));
    }
    const deps: BootDeps = { ...shared, settings };
    starts.reached();
    const { outcome, seen } = await runWithDeadline(deps, remember);
    remember(outcome);
    starts.booted(outcome);
    timers.push(...scheduleAfterBoot(options, deps, { outcome, seen }, markThisBoot));
    return outcome;
  };

  const status = async (): Promise<BootResult> => {
    if (settings === null) return leftAlone('config-invalid', `config-invalid: ${settingsError}`);
    return runStatus({ ...shared, settings });
  };

  return {
    runAtBoot,
    status,
    markHealthy: markThisBoot,
    fluxInfo: () => info,
    lastResult: () => result,
    stop,
  };
}
