/**
 * The boot step FluxOS runs once at startup (DESIGN §3–§5, §9): decide the
 * cohort, put the checkout on the matching branch, restart onto it, and keep
 * the outcome in memory for /flux/info. Decisions are pure (cohort.ts,
 * switchPlan.ts); this file is the actor around them, and its one promise is
 * that runAtBoot() never throws and returns within its deadline.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Db } from 'mongodb';
import { decide, describeDecision, markHealthyWrite, type Decision, type StoreWrite } from '../cohort/decide';
import { readSettings } from '../config/settings';
import { describeError, isPreprodError, PreprodError } from '../errors';
import { PENDING_FLUX_INFO, type FluxInfoFields } from './fluxInfo';
import { installCommandFor, runInstall, startDetachedInstall } from '../restart/install';
import { acquireLock } from '../os/lockFile';
import { safeLogger, type Logger } from '../logger';
import { cryptoRandom, type RandomSource } from '../cohort/random';
import { openRepository, type Repository, type SwitchResult } from '../checkout/repository';
import {
  NODEMON_TOUCH_FILES,
  readProcessContext,
  resolveRestartStrategy,
  triggerRestart,
  type ProcessContext,
  type ResolvedRestart,
} from '../restart/strategy';
import { MongoStateStore, type StateStore } from '../state';
import { choosePreprodOrFallback, planSwitch, planWithoutRemote } from '../checkout/plan';
import {
  BOOT_HEALTH_KEY,
  COHORT_KEY,
  OPT_OUT_KEY,
  type Mode,
  type ReasonCode,
  type RestartStrategy,
  type Settings,
  type StoredDocument,
  type UserFlags,
} from '../types';
import { parseUserFlags, readUserFlags } from '../config/userconfig';

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
  repository?: Repository;
}

/** The outcome of a boot (or of a read-only status), as the CLI's JSON prints it (DESIGN §8). */
export interface BootResult {
  mode: Mode;
  preProdNode: boolean;
  reason: ReasonCode;
  branch: { before: string | null; after: string | null; switched: boolean };
  commit: string | null;
  cohort: { draw: number | null; probability: number; rolledAt: string; nextRollAt: string; rolled: boolean } | null;
  optedOut: boolean;
  restart: ResolvedRestart;
  /** The one readable line that was logged. */
  message: string;
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

type Phase = 'start' | 'store' | 'fetch' | 'switch' | 'install' | 'restart' | 'done';

export function createPreprodService(options: PreprodServiceOptions): PreprodService {
  const logger = safeLogger(options.logger, '[preprod] ');
  const now = options.now ?? (() => new Date());
  const random = options.random ?? cryptoRandom;
  let result: BootResult | null = null;
  let info: FluxInfoFields = PENDING_FLUX_INFO;
  let healthyTimer: NodeJS.Timeout | null = null;

  // Nothing here may throw to the host: every bad input becomes a result.
  let settings: Settings | null = null;
  let settingsError: string | null = null;
  try {
    // Validated settings pass validation again unchanged, so everything goes through it.
    settings = readSettings({ overrides: options.settings });
  } catch (error) {
    settingsError = describeError(error);
  }

  const repoDir = path.resolve(options.repoDir ?? '.');
  const repository = options.repository ?? openRepository(repoDir);
  let store: StateStore | null = options.store ?? null;
  if (!store && options.db) {
    try {
      store = new MongoStateStore(options.db);
    } catch (error) {
      logger.error(`cannot use the MongoDB handle: ${describeError(error)}`);
    }
  }

  const finish = (next: BootResult): BootResult => {
    result = next;
    info = toFluxInfo(next, settings);
    return next;
  };

  const runAtBoot = async (): Promise<BootResult> => {
    if (settings === null) {
      logger.error(`settings are invalid, the node is left where it is: ${settingsError}`);
      return finish(await leftAlone(repository, 'config-invalid', `skipped: config-invalid (${settingsError})`, null));
    }
    const active = settings;
    const deadlineMs = active.preProd.bootDeadlineMs;
    const progress: Progress = { phase: 'start', head: null, before: null, decision: null };
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<BootResult>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve(onDeadline(progress, active, deadlineMs));
      }, deadlineMs);
    });
    const work = boot(active, progress, controller.signal).catch((error: unknown) => {
      // A bug, not an expected failure: still leave the node where it is.
      logger.error(`boot step failed unexpectedly, the node is left where it is: ${describeError(error)}`);
      return resultFrom({ head: progress.head, before: progress.before, decision: progress.decision, settings: active,
        reason: progress.decision?.reason ?? 'store-unavailable', message: `left alone after an unexpected error: ${describeError(error)}` });
    });
    const outcome = await Promise.race([work, deadline]);
    clearTimeout(timer);
    finish(outcome);
    if (outcome.mode === 'preprod' && options.armHealthyTimer !== false && active.preProd.healthyAfterMs > 0) {
      healthyTimer = setTimeout(() => void markHealthy(), active.preProd.healthyAfterMs);
      healthyTimer.unref();
    }
    return outcome;
  };

  const onDeadline = (
    progress: Progress,
    active: Settings,
    deadlineMs: number,
  ): BootResult => {
    // Past the checkout the switch is committed and finishes in the background.
    const reason: ReasonCode =
      progress.phase === 'start' || progress.phase === 'store'
        ? 'store-unavailable'
        : progress.phase === 'fetch'
          ? 'fetch-failed'
          : (progress.decision?.reason ?? 'fetch-failed');
    const message = `boot step reached its ${deadlineMs} ms deadline during ${progress.phase}; ${
      progress.phase === 'install' || progress.phase === 'restart' ? 'the switch finishes in the background' : 'the node is left where it is'
    } (${reason})`;
    logger.warn(message);
    const switched = progress.phase === 'install' || progress.phase === 'restart';
    return resultFrom({ head: progress.head, before: progress.before, decision: progress.decision, reason, settings: active, switched, message });
  };

  const boot = async (
    active: Settings,
    progress: Progress,
    signal: AbortSignal,
  ): Promise<BootResult> => {
    const preProd = active.preProd;
    const flags = readFlags(options.userconfig, repoDir, logger);
    if (flags.development) {
      const decision = decide(decisionInput(active, flags, null, null, null, now(), random));
      const message = describeDecision(decision);
      logger.info(message);
      return resultFrom({ head: null, before: null, decision, reason: 'development', settings: active, message });
    }

    const release = await lockBoot(repoDir, preProd.bootDeadlineMs, logger);
    let released = false;
    const releaseOnce = async (): Promise<void> => {
      if (released) return;
      released = true;
      await release();
    };
    try {
      progress.phase = 'store';
      // Read HEAD while the store answers, and keep it where the deadline handler can see it.
      const headPromise = repository.head().then(
        (head) => {
          progress.head = head;
          progress.before = head.branch;
          return head;
        },
        () => null,
      );
      let docs: StateDocs;
      try {
        docs = await readStateDocs(store);
      } catch (error) {
        await headPromise;
        const message = `store-unavailable: ${describeError(error)}; the node is left where it is`;
        logger.warn(message);
        return resultFrom({ head: progress.head, before: progress.before, decision: null, reason: 'store-unavailable', settings: active, message });
      }
      const head = await headPromise;
      if (signal.aborted) throw new PreprodError('timeout', 'Deadline reached.');

      const decision = decide(decisionInput(active, flags, docs[0], docs[1], docs[2], now(), random));
      progress.decision = decision;
      const target = decision.targetBranch as string;
      const cohortWrites = decision.writes.filter((w) => w.key !== BOOT_HEALTH_KEY);

      if (head === null) {
        await applyWrites(cohortWrites);
        const message = `${describeDecision(decision)}; ${repoDir} is not a git checkout, left alone (unmanaged-branch)`;
        logger.warn(message);
        return resultFrom({ head: null, before: null, decision, reason: 'unmanaged-branch', settings: active, message });
      }

      // Cheap checks first: a node already on its branch costs one git process and no network.
      const planInput = { current: { branch: head.branch }, targetBranch: target, settings: preProd };
      let plan = planWithoutRemote(planInput) ?? planSwitch({ ...planInput, remoteName: await repository.findRemote(preProd.remote) });
      // A switch that an earlier boot began and did not finish (killed, disk full, read-only) may have
      // moved HEAD already: "already on it" is not done, so it is switched again. One file read, no git.
      const unfinished = await repository.pendingSwitch().catch(() => null);
      if (plan.action === 'none' && unfinished !== null && head.branch !== null) {
        const remote = await repository.findRemote(preProd.remote);
        if (remote !== null) plan = { action: 'switch', from: head.branch, to: target, remote };
      }
      if (plan.action !== 'switch') {
        const onPreprod = head.branch === preProd.branch;
        await applyWrites(onPreprod ? decision.writes : cohortWrites);
        const reason = plan.action === 'leave' ? plan.reason : decision.reason;
        const message = `${describeDecision(decision)}; ${plan.action === 'none' ? 'already on it' : `left alone (${reason})`}`;
        logger.info(message);
        return resultFrom({ head, before: head.branch, decision, reason, settings: active, message });
      }

      progress.phase = 'fetch';
      const remoteName = plan.remote;
      try {
        await repository.fetch(remoteName, [preProd.productionBranch, preProd.branch], preProd.fetchTimeoutMs);
      } catch (error) {
        await applyWrites(head.branch === preProd.branch ? decision.writes : cohortWrites);
        const message = `${describeDecision(decision)}; fetch-failed: ${describeError(error)}; the node is left where it is`;
        logger.warn(message);
        return resultFrom({ head, before: head.branch, decision, reason: 'fetch-failed', settings: active, message });
      }
      if (signal.aborted) throw new PreprodError('timeout', 'Deadline reached.');

      let branch = target;
      let reason: ReasonCode = decision.reason;
      if (target === preProd.branch) {
        const preprodTip = await repository.remoteTip(remoteName, preProd.branch);
        const productionTip = await repository.remoteTip(remoteName, preProd.productionBranch);
        const contained = preprodTip !== null && productionTip !== null && (await repository.isAncestor(productionTip, preprodTip));
        const choice = choosePreprodOrFallback({ target, settings: preProd, preprodTip, productionContained: contained });
        branch = choice.branch;
        if (choice.reason) reason = choice.reason;
      }
      const finalMode: Mode = branch === preProd.branch ? 'preprod' : 'production';
      if (branch === head.branch && unfinished === null) {
        await applyWrites(finalMode === 'preprod' ? decision.writes : cohortWrites);
        const message = `${describeDecision(decision)}; ${reason}: staying on ${branch}`;
        logger.warn(message);
        return resultFrom({ head, before: head.branch, decision, reason, settings: active, message });
      }
      if (signal.aborted) throw new PreprodError('timeout', 'Deadline reached.');

      progress.phase = 'switch';
      let switched: SwitchResult;
      try {
        switched = await repository.switchTo(branch, remoteName);
      } catch (error) {
        // git may have moved HEAD and part of the work tree before failing: the result reads HEAD
        // again, and the draw is kept so the next boot, which finishes the switch, does not re-draw.
        const current = (await repository.head().catch(() => null)) ?? head;
        await applyWrites(current.branch === preProd.branch ? decision.writes : cohortWrites);
        const message = `${describeDecision(decision)}; switching ${head.branch} → ${branch} failed: ${describeError(error).replace(/\.$/, '')}; no restart, the next boot finishes the switch`;
        logger.error(message);
        return resultFrom({ head: current, before: head.branch, decision, reason, settings: active, message });
      }
      progress.head = { branch, commit: switched.to };
      progress.decision = { ...decision, mode: finalMode, reason };
      await applyWrites(finalMode === 'preprod' ? decision.writes : cohortWrites);
      const strategy = resolveRestartStrategy(options.restart ?? preProd.restart, options.processContext ?? readProcessContext());
      const message = `${describeDecision(decision)}; switched ${head.branch} → ${branch}${
        reason !== decision.reason ? ` (${reason})` : ''
      } at ${switched.to.slice(0, 12)}${unfinished !== null ? ', finishing a switch an earlier boot left unfinished' : ''}; restart: ${strategy}`;
      logger.info(message);

      const after = resultFrom({ head: progress.head, before: head.branch, decision: progress.decision, reason, restart: strategy, settings: active, switched: true, message });
      // Install and restart go on even if the deadline cuts the wait short: the checkout is already new.
      progress.phase = switched.depsChanged ? 'install' : 'restart';
      const finishing = (async () => {
        if (switched.depsChanged && strategy === 'nodemon') {
          // nodemon restarts us a few seconds after the checkout and would kill an install
          // running under us; this one outlives the restart and touches app.js when done.
          startDetachedInstall({
            dir: repoDir,
            argv: installCommandFor(preProd),
            timeoutMs: preProd.installTimeoutMs,
            touchFile: path.join(repoDir, NODEMON_TOUCH_FILES[0]),
            logFile: path.join(repoDir, '.git', 'fluxos-preprod-install.log'),
          });
          // From here the install belongs to the detached runner, which outlives this boot.
          await repository.completeSwitch().catch(() => undefined);
          logger.info('dependencies changed: installing outside nodemon\'s process tree; nodemon restarts FluxOS again when it ends');
          progress.phase = 'done';
          return;
        }
        if (switched.depsChanged) {
          try {
            const ran = await runInstall(repoDir, installCommandFor(preProd), preProd.installTimeoutMs, logger);
            logger.info(`dependencies installed in ${ran.ms} ms`);
          } catch (error) {
            logger.error(`dependency install failed (${describeError(error)}); restarting anyway, FluxOS's own start script installs again`);
          }
        }
        // Only now: a boot killed before this point (install included) finds the marker and switches again.
        await repository.completeSwitch().catch((error: unknown) => logger.warn(`could not mark the switch complete: ${describeError(error)}`));
        progress.phase = 'restart';
        // The lock goes first: an exit must not leave it for the next boot to take over.
        await releaseOnce();
        await triggerRestart(strategy, { repoDir, logger, exit: options.exit });
        progress.phase = 'done';
      })().catch((error: unknown) => logger.error(`restart failed: ${describeError(error)}`));
      await finishing;
      return after;
    } finally {
      await releaseOnce();
    }

    async function applyWrites(writes: StoreWrite[]): Promise<void> {
      if (!store || writes.length === 0) return;
      try {
        for (const write of writes) {
          if ('delete' in write) await store.delete(write.key);
          else await store.set(write.key, write.value);
        }
      } catch (error) {
        logger.warn(`could not save the decision (${describeError(error)}); the next boot decides again`);
      }
    }
  };

  const status = async (): Promise<BootResult> => {
    if (settings === null) return leftAlone(repository, 'config-invalid', `config-invalid: ${settingsError}`, null);
    const active = settings;
    const flags = readFlags(options.userconfig, repoDir, logger);
    const head = await repository.head().catch(() => null);
    let docs: StateDocs = [null, null, null];
    if (!flags.development) {
      try {
        docs = await readStateDocs(store);
      } catch (error) {
        return resultFrom({ head, before: head?.branch ?? null, decision: null, reason: 'store-unavailable', settings: active, message: `store-unavailable: ${describeError(error)}` });
      }
    }
    // A pending re-draw is reported, not made: status never draws. The stand-in
    // draw is the highest possible one, so only probability 1 (where every draw
    // is selected) reports "selected" before the draw is made.
    const decision = decide(decisionInput(active, flags, docs[0], docs[1], docs[2], now(), () => 1 - Number.EPSILON));
    if (decision.cohort?.rolled) decision.cohort = { ...decision.cohort, draw: null };
    const message = decision.cohort?.rolled
      ? `no valid cohort draw is stored (${decision.cohort.redrawReason}); the next boot draws anew`
      : describeDecision(decision);
    const current = resultFrom({ head, before: head?.branch ?? null, decision, reason: decision.reason, settings: active, message });
    // `after` is where a boot would put the checkout; status itself moves nothing.
    return { ...current, branch: { before: head?.branch ?? null, after: decision.targetBranch, switched: false } };
  };

  const markHealthy = async (): Promise<boolean> => {
    if (healthyTimer) clearTimeout(healthyTimer);
    healthyTimer = null;
    try {
      if (!store) return false;
      const write = markHealthyWrite(await store.get(BOOT_HEALTH_KEY), now());
      if (!write || 'delete' in write) return false;
      await store.set(write.key, write.value);
      logger.info('this boot is healthy; the crash-loop count is cleared');
      return true;
    } catch (error) {
      logger.warn(`could not mark this boot healthy: ${describeError(error)}`);
      return false;
    }
  };

  return {
    runAtBoot,
    status,
    markHealthy,
    fluxInfo: () => info,
    lastResult: () => result,
  };
}

/** The cohort, opt-out and crash-loop documents, in that order. */
type StateDocs = [StoredDocument | null, StoredDocument | null, StoredDocument | null];

function readStateDocs(store: StateStore | null): Promise<StateDocs> {
  if (!store) return Promise.reject(new PreprodError('store-unavailable', 'No state store was given.'));
  return Promise.all([store.get(COHORT_KEY), store.get(OPT_OUT_KEY), store.get(BOOT_HEALTH_KEY)]);
}

interface Progress {
  phase: Phase;
  head: Head | null;
  before: string | null;
  decision: Decision | null;
}

interface Head {
  branch: string | null;
  commit: string;
}

function decisionInput(
  settings: Settings,
  flags: UserFlags,
  cohortDoc: StoredDocument | null,
  optOutDoc: StoredDocument | null,
  healthDoc: StoredDocument | null,
  now: Date,
  random: RandomSource,
) {
  return { settings: settings.preProd, flags, cohortDoc, optOutDoc, healthDoc, now, random };
}

function readFlags(userconfig: PreprodServiceOptions['userconfig'], repoDir: string, logger: Logger): UserFlags {
  try {
    if (userconfig !== undefined && typeof userconfig === 'object' && userconfig !== null) {
      return parseUserFlags(userconfig, "the userconfig object FluxOS passed in");
    }
    return readUserFlags(typeof userconfig === 'string' ? userconfig : path.join(repoDir, 'config', 'userconfig.js'));
  } catch (error) {
    // The operator said something we cannot read: take it as an opt-out, the safer mistake.
    logger.error(`${describeError(error)} Treating this node as opted out until it is fixed.`);
    return { development: false, disablePreProd: true };
  }
}

async function lockBoot(repoDir: string, timeoutMs: number, logger: Logger): Promise<() => Promise<void>> {
  const gitDir = path.join(repoDir, '.git');
  if (!existsSync(gitDir) || !statSync(gitDir).isDirectory()) return async () => undefined;
  try {
    return await acquireLock(path.join(gitDir, 'fluxos-preprod.lock'), {
      timeoutMs,
      staleMs: 15 * 60 * 1000,
      what: `the boot step of ${repoDir}`,
    });
  } catch (error) {
    // A git dir nobody can write to (read-only file system): git cannot change anything there
    // either, so there is nothing to serialise, and the first git write reports the real cause.
    const code = (error as { cause?: NodeJS.ErrnoException }).cause?.code;
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
      logger.debug(`no boot lock: ${gitDir} is not writable (${code})`);
      return async () => undefined;
    }
    if (isPreprodError(error)) logger.warn(error.message);
    throw error;
  }
}

async function leftAlone(repository: Repository, reason: ReasonCode, message: string, settings: Settings | null): Promise<BootResult> {
  const head = await repository.head().catch(() => null);
  return resultFrom({ head, before: head?.branch ?? null, decision: null, reason, settings, message });
}

interface ResultParts {
  /** The checkout as it is now (after a switch: the new branch). */
  head: Head | null;
  /** The branch before this boot touched anything. */
  before: string | null;
  decision: Decision | null;
  reason: ReasonCode;
  restart?: ResolvedRestart;
  settings: Settings | null;
  switched?: boolean;
  message: string;
}

function resultFrom(parts: ResultParts): BootResult {
  const { head, decision, reason, settings, message } = parts;
  const switched = parts.switched ?? false;
  const onPreprod = head?.branch === (settings?.preProd.branch ?? 'preprod');
  // The mode says what the node runs, not what it was told to run.
  const mode: Mode = decision?.mode === 'skipped' || reason === 'config-invalid' ? 'skipped' : onPreprod ? 'preprod' : 'production';
  const cohort = decision?.cohort
    ? {
        draw: decision.cohort.draw,
        probability: decision.cohort.probability,
        rolledAt: decision.cohort.rolledAt.toISOString(),
        nextRollAt: decision.cohort.nextRollAt.toISOString(),
        rolled: decision.cohort.rolled,
      }
    : null;
  return {
    mode,
    preProdNode: onPreprod,
    reason,
    branch: { before: parts.before, after: head?.branch ?? null, switched },
    commit: head?.commit ?? null,
    cohort,
    optedOut: decision?.optedOut ?? false,
    restart: parts.restart ?? 'none',
    message,
  };
}

function toFluxInfo(result: BootResult, settings: Settings | null): FluxInfoFields {
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
    }),
  });
}
