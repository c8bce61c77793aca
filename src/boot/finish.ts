/**
 * The commit point and after (docs/design.md §4, §5): the forced checkout,
 * then the dependency install when the switch changed them, marking the switch
 * complete, and the restart onto the new code through the strategy in force.
 * Under `exit` the boot never resolves: FluxOS must not go on running old code
 * over a new checkout.
 */
import * as path from 'node:path';
import type { Head, PendingSwitch, SwitchResult } from '../checkout';
import { describeDecision } from '../cohort/decide';
import { describeError } from '../errors';
import { installCommandFor, runInstall, startDetachedInstall } from '../restart/install';
import {
  NODEMON_TOUCH_FILES,
  readProcessContext,
  resolveRestartStrategy,
  triggerRestart,
  type ResolvedRestart,
} from '../restart/strategy';
import { checkDeadline, type BootRun, type Planned } from './context';
import { leaveResult } from './persist';
import { restartMarkerPath, writeRestartMarker } from './restartMarker';
import type { BootResult } from './result';

export function strategyOf(run: BootRun): ResolvedRestart {
  return resolveRestartStrategy(
    run.restart ?? run.settings.preProd.restart,
    run.processContext ?? readProcessContext(),
  );
}

/** What status predicts, or what a background check does instead of moving the checkout under FluxOS. */
async function withoutMoving(run: BootRun, planned: Planned, release: () => Promise<void>): Promise<BootResult> {
  const { head, decision, branch, reason } = planned;
  const message = `${describeDecision(decision)}; the next boot ${movesTo(planned)}`;
  if (run.kind === 'status')
    return leaveResult(run, { head, before: head.branch, decision, reason, after: branch, message });
  const strategy = strategyOf(run);
  run.logger.info(`${message}; restart: ${strategy}`);
  await release();
  await restartFluxos(run, strategy, run.lookAgain ? 'recheck' : 'deferred', run.lookAgain === true);
  return leaveResult(run, {
    head,
    before: head.branch,
    decision,
    reason,
    restart: strategy,
    message,
    restartPending: strategy !== 'none',
  });
}

/**
 * What a failed switch left on disk (docs/design.md §4): HEAD alone does not say it. A checkout that
 * began and stopped before HEAD moved (a full disk) leaves part of the target's files in the work tree.
 */
function onDisk(current: Head, target: string, pending: PendingSwitch | null): string {
  const named = `HEAD names ${current.branch ?? 'no branch'} at ${current.commit.slice(0, 12)}`;
  const begun = pending?.checkout;
  if (begun === undefined) return `${named}; the work tree was not changed`;
  if (current.commit === begun.from)
    return `${named}, but git stopped part way: the work tree holds part of ${target}'s files`;
  return `${named}; the work tree may not be complete`;
}

/** The forced checkout: the commit point. A failure is reported as it is, with HEAD read again. */
export async function switchCheckout(
  run: BootRun,
  planned: Planned,
  release: () => Promise<void>,
): Promise<BootResult> {
  checkDeadline(run);
  if (run.kind !== 'boot') return withoutMoving(run, planned, release);
  const { head, decision, branch } = planned;
  run.phase = { name: 'switch', head, decision };
  let switched: SwitchResult;
  try {
    switched = await run.checkout.switchTo(branch, planned.remote);
  } catch (error) {
    // git may have moved HEAD and part of the work tree before failing: the mode is read from HEAD
    // again. The decision is saved, so the next boot decides the same and finishes the switch.
    const current = (await run.checkout.head().catch(() => null)) ?? head;
    const failed = `switch-failed: ${head.branch} → ${branch}: ${describeError(error)}`;
    const where = onDisk(current, branch, await run.checkout.pendingSwitch().catch(() => null));
    const message = `${describeDecision(decision)}; ${failed}; ${where}; no restart, the next boot finishes the switch`;
    run.logger.error(message);
    return leaveResult(run, { head: current, before: head.branch, decision, reason: 'switch-failed', message });
  }
  return finishSwitch(run, planned, switched, release);
}

/** What the next boot does, in words: a move to another branch, or off a withdrawn commit. */
function movesTo(planned: Planned): string {
  const { head, branch, newTip } = planned;
  if (newTip === undefined) return `moves ${head.branch ?? 'HEAD'} → ${branch}`;
  const off = `${head.commit.slice(0, 12)}, which ${branch} no longer contains`;
  return `moves ${branch} off ${off}, to ${newTip.slice(0, 12)}`;
}

function switchedMessage(planned: Planned, switched: SwitchResult, strategy: ResolvedRestart): string {
  const changed = planned.reason !== planned.decision.reason ? ` (${planned.reason})` : '';
  const unfinished = planned.inputs.unfinished ? ', finishing a switch an earlier boot left unfinished' : '';
  const withdrawn = planned.newTip === undefined ? '' : ` (${planned.head.commit.slice(0, 12)} was withdrawn)`;
  const at = switched.to.slice(0, 12);
  const moved = `switched ${planned.head.branch} → ${planned.branch}${changed}${withdrawn} at ${at}`;
  return `${describeDecision(planned.decision)}; ${moved}${unfinished}; restart: ${strategy}`;
}

async function finishSwitch(
  run: BootRun,
  planned: Planned,
  switched: SwitchResult,
  release: () => Promise<void>,
): Promise<BootResult> {
  const head: Head = { branch: planned.branch, commit: switched.to };
  const strategy = strategyOf(run);
  const message = switchedMessage(planned, switched, strategy);
  run.logger.info(message);
  const before = planned.head.branch;
  const { decision, reason } = planned;
  const restartPending = strategy !== 'none';
  const result = leaveResult(run, {
    head,
    before,
    decision,
    reason,
    restart: strategy,
    switched: true,
    restartPending,
    message,
  });
  run.onSwitched?.(result);
  run.phase = { name: switched.depsChanged ? 'install' : 'restart', head, before, decision, reason };
  if (strategy === 'nodemon' && switched.depsChanged) {
    await installDetached(run);
  } else {
    if (strategy === 'exit')
      run.logger.warn(
        'restart pending: FluxOS exits once the switch is complete, for its supervisor to start it on the new code',
      );
    if (switched.depsChanged) await install(run);
    // Only now: a boot killed before this point (install included) finds the marker and switches again.
    await run.checkout
      .completeSwitch()
      .catch((error: unknown) => run.logger.warn(`could not mark the switch complete: ${describeError(error)}`));
  }
  run.phase = { name: 'restart', head, before, decision, reason };
  // The lock goes first: an exit must not leave it for the next boot to take over.
  await release();
  await restartFluxos(run, strategy, 'switch');
  run.phase = { name: 'done' };
  return result;
}

async function install(run: BootRun): Promise<void> {
  const { installTimeoutMs } = run.settings.preProd;
  try {
    const ran = await runInstall(run.repoDir, installCommandFor(run.settings.preProd), installTimeoutMs, run.logger);
    run.logger.info(`dependencies installed in ${ran.ms} ms`);
  } catch (error) {
    run.logger.error(
      `dependency install failed (${describeError(error)}); ` +
        "restarting anyway, FluxOS's own start script installs again",
    );
  }
}

/**
 * nodemon restarts us a few seconds after the checkout and would kill an
 * install running under us; this one outlives the restart, writes the restart
 * marker (the boot it ends is the package's doing) and touches app.js when done.
 */
async function installDetached(run: BootRun): Promise<void> {
  const { installTimeoutMs } = run.settings.preProd;
  startDetachedInstall({
    dir: run.repoDir,
    argv: installCommandFor(run.settings.preProd),
    timeoutMs: installTimeoutMs,
    touchFile: path.join(run.repoDir, NODEMON_TOUCH_FILES[0]),
    logFile: path.join(run.repoDir, '.git', 'fluxos-preprod-install.log'),
    restartMarker: restartMarkerPath(run.repoDir) ?? undefined,
  });
  // From here the install belongs to the detached runner, which outlives this boot.
  await run.checkout.completeSwitch().catch(() => undefined);
  run.logger.info(
    "dependencies changed: installing outside nodemon's process tree; nodemon restarts FluxOS again when it ends",
  );
}

/**
 * Restarts FluxOS through the strategy, the restart marker written first. Under
 * `exit` this resolves only if the exit function returns (a test's or the CLI's).
 */
export async function restartFluxos(
  run: BootRun,
  strategy: ResolvedRestart,
  cause: 'switch' | 'recheck' | 'deferred',
  recheck = false,
): Promise<void> {
  // Without a restart the marker only carries a finding, for whoever restarts FluxOS: it excuses no boot.
  if (strategy !== 'none' || recheck)
    await writeRestartMarker(run.repoDir, strategy === 'none' ? 'finding' : cause, run.now(), recheck);
  try {
    if (strategy !== 'exit') {
      await triggerRestart(strategy, { repoDir: run.repoDir, logger: run.logger, exit: run.exit });
      return;
    }
    const exited = new Promise<void>((resolve) => {
      const exit = run.exit ?? ((code: number) => process.exit(code));
      void triggerRestart('exit', {
        repoDir: run.repoDir,
        logger: run.logger,
        exit: (code) => {
          exit(code);
          resolve();
        },
      });
    });
    await exited;
  } catch (error) {
    run.logger.error(`restart failed: ${describeError(error)}`);
  }
}
