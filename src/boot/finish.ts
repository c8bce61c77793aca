/**
 * After the forced checkout (docs/design.md §4, §5): the dependency install
 * when the switch changed them, marking the switch complete, and the restart
 * onto the new code through the strategy in force.
 */
import * as path from 'node:path';
import type { Head, SwitchResult } from '../checkout';
import { describeDecision } from '../cohort/decide';
import { describeError } from '../errors';
import { runInstall, startDetachedInstall } from '../restart/install';
import {
  NODEMON_TOUCH_FILES,
  readProcessContext,
  resolveRestartStrategy,
  triggerRestart,
  type ResolvedRestart,
} from '../restart/strategy';
import type { BootRun } from './context';
import { resultFrom, type BootResult } from './result';
import type { Chosen } from './steps';

export interface Switched {
  chosen: Chosen;
  switched: SwitchResult;
  /** Releases the boot lock; called before an exit, so the next boot does not wait for it. */
  release: () => Promise<void>;
}

function switchedMessage(s: Switched, strategy: ResolvedRestart): string {
  const { chosen, switched } = s;
  const changed = chosen.reason !== chosen.decision.reason ? ` (${chosen.reason})` : '';
  const unfinished = chosen.unfinished ? ', finishing a switch an earlier boot left unfinished' : '';
  const moved = `switched ${chosen.head.branch} → ${chosen.branch}${changed} at ${switched.to.slice(0, 12)}`;
  return `${describeDecision(chosen.decision)}; ${moved}${unfinished}; restart: ${strategy}`;
}

/** Install, complete and restart; resolves with the switch's result once the restart has been triggered. */
export async function finishSwitch(run: BootRun, s: Switched): Promise<BootResult> {
  const preProd = run.settings.preProd;
  const { chosen, switched } = s;
  const head: Head = { branch: chosen.branch, commit: switched.to };
  const strategy = resolveRestartStrategy(run.restart ?? preProd.restart, run.processContext ?? readProcessContext());
  const message = switchedMessage(s, strategy);
  run.logger.info(message);
  const result = resultFrom({
    head,
    before: chosen.head.branch,
    decision: chosen.decision,
    reason: chosen.reason,
    restart: strategy,
    settings: run.settings,
    switched: true,
    message,
  });
  // Install and restart go on even if the deadline cuts the wait short: the checkout is already new.
  const phase = { head, before: chosen.head.branch, decision: chosen.decision, reason: chosen.reason };
  run.phase = { name: switched.depsChanged ? 'install' : 'restart', ...phase };
  try {
    await installAndRestart(run, s, strategy, phase);
  } catch (error) {
    run.logger.error(`restart failed: ${describeError(error)}`);
  }
  return result;
}

async function installAndRestart(
  run: BootRun,
  s: Switched,
  strategy: ResolvedRestart,
  phase: Omit<Extract<BootRun['phase'], { name: 'restart' }>, 'name'>,
): Promise<void> {
  const preProd = run.settings.preProd;
  if (s.switched.depsChanged && strategy === 'nodemon') {
    // nodemon restarts us a few seconds after the checkout and would kill an install
    // running under us; this one outlives the restart and touches app.js when done.
    startDetachedInstall({
      dir: run.repoDir,
      argv: preProd.installCommand,
      timeoutMs: preProd.installTimeoutMs,
      touchFile: path.join(run.repoDir, NODEMON_TOUCH_FILES[0]),
      logFile: path.join(run.repoDir, '.git', 'fluxos-preprod-install.log'),
    });
    // From here the install belongs to the detached runner, which outlives this boot.
    await run.checkout.completeSwitch().catch(() => undefined);
    run.logger.info(
      "dependencies changed: installing outside nodemon's process tree; nodemon restarts FluxOS again when it ends",
    );
    run.phase = { name: 'done' };
    return;
  }
  if (s.switched.depsChanged) {
    try {
      const ran = await runInstall(run.repoDir, preProd.installCommand, preProd.installTimeoutMs, run.logger);
      run.logger.info(`dependencies installed in ${ran.ms} ms`);
    } catch (error) {
      run.logger.error(
        `dependency install failed (${describeError(error)}); ` +
          "restarting anyway, FluxOS's own start script installs again",
      );
    }
  }
  // Only now: a boot killed before this point (install included) finds the marker and switches again.
  await run.checkout
    .completeSwitch()
    .catch((error: unknown) => run.logger.warn(`could not mark the switch complete: ${describeError(error)}`));
  run.phase = { name: 'restart', ...phase };
  // The lock goes first: an exit must not leave it for the next boot to take over.
  await s.release();
  await triggerRestart(strategy, { repoDir: run.repoDir, logger: run.logger, exit: run.exit });
  run.phase = { name: 'done' };
}
