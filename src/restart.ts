import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from './logger';
import type { RestartStrategy } from './types';

export type ResolvedRestart = Exclude<RestartStrategy, 'auto'>;

/** What `auto` looks at; read from /proc and the environment by readProcessContext(). */
export interface ProcessContext {
  /** Command lines of the parent, grandparent, … (nearest first), a few levels up. */
  ancestors: string[];
  env: Record<string, string | undefined>;
}

/**
 * Picks the restart strategy. Pure.
 * - nodemon among our nearest ancestors (legacy nodes: pm2 → npm start → nodemon app.js):
 *   nodemon restarts on file changes and NOT after an exit, so we must not exit.
 * - a supervisor that respawns on exit (systemd on ArcaneOS — FLUXOS_PATH or
 *   INVOCATION_ID set — or pm2, which sets pm_id): exit.
 * - otherwise nothing that would bring us back: none ("restart required").
 */
export function resolveRestartStrategy(strategy: RestartStrategy, context: ProcessContext): ResolvedRestart {
  if (strategy !== 'auto') return strategy;
  if (context.ancestors.slice(0, 3).some((command) => /(^|[\s/])nodemon(\.js)?(\s|$)/.test(command))) return 'nodemon';
  const { env } = context;
  if (env.FLUXOS_PATH || env.INVOCATION_ID || env.pm_id !== undefined) return 'exit';
  return 'none';
}

export function readProcessContext(): ProcessContext {
  const ancestors: string[] = [];
  let pid = process.ppid;
  for (let depth = 0; depth < 4 && pid > 1; depth++) {
    try {
      ancestors.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim());
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may hold spaces.
      pid = Number.parseInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1], 10);
    } catch {
      break; // not Linux, or the process is gone
    }
  }
  return { ancestors, env: process.env };
}

/**
 * Files whose change nodemon notices in FluxOS's nodemon.json (it watches
 * app.js and package.json among others); the first that exists is touched.
 */
export const NODEMON_TOUCH_FILES = ['app.js', 'package.json'];

/** Exit code for the `exit` strategy: non-zero, so `Restart=on-failure` units respawn too. */
export const RESTART_EXIT_CODE = 1;

export interface RestartOptions {
  repoDir: string;
  logger: Logger;
  /** Injected for tests; default process.exit. */
  exit?: (code: number) => void;
}

/**
 * Brings the process onto the new code. No sleeps: nodemon applies its own
 * delay after the touch; `exit` leaves on the next turn of the event loop so
 * the log line gets out.
 */
export async function triggerRestart(strategy: ResolvedRestart, options: RestartOptions): Promise<void> {
  const { logger } = options;
  if (strategy === 'none') {
    logger.warn('restart required: the checkout changed, and no restart strategy is in force');
    return;
  }
  if (strategy === 'nodemon') {
    for (const name of NODEMON_TOUCH_FILES) {
      const file = path.join(options.repoDir, name);
      try {
        const now = new Date();
        await fs.utimes(file, now, now);
        logger.info(`restart: touched ${name} so nodemon restarts FluxOS onto the new code`);
        return;
      } catch {
        // try the next one
      }
    }
    logger.warn('restart: nodemon strategy found no file to touch; restart required');
    return;
  }
  logger.info(`restart: exiting with code ${RESTART_EXIT_CODE} so the supervisor starts FluxOS on the new code`);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  setImmediate(() => exit(RESTART_EXIT_CODE));
}
