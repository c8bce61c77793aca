import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../logger';
import type { RestartStrategy } from '../types';
import { parseProcStat } from '../os/procfs';

export type ResolvedRestart = Exclude<RestartStrategy, 'auto'>;

/** What `auto` looks at; read from /proc and the environment by readProcessContext(). */
export interface ProcessContext {
  /**
   * Command lines of the parent, grandparent, … (nearest first), arguments
   * joined by single spaces, at most ANCESTOR_DEPTH of them.
   */
  ancestors: string[];
  env: Record<string, string | undefined>;
}

/**
 * How far up `auto` looks for nodemon. nodemon forks `node app.js` itself
 * (depth 1); with `--spawn`/`exec` a `sh -c` sits in between (depth 2), and a
 * package-script runner can add one more. Further up, a nodemon is watching
 * something else, not FluxOS.
 */
export const ANCESTOR_DEPTH = 3;

/** Node options whose value is the next argument, so that value is not taken for the script. */
const NODE_OPTIONS_WITH_VALUE = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--title',
  '--inspect-port',
  '--env-file',
]);

const NODEMON_NAMES = new Set(['nodemon', 'nodemon.js']);

/**
 * Whether a command line runs nodemon: its program is nodemon (`nodemon app.js`,
 * as `npm run flux` starts it), or node running nodemon's script
 * (`node /…/node_modules/.bin/nodemon app.js`, what the kernel reports for the
 * former). Only the program and the script count, so a path or argument that
 * merely contains "nodemon" does not.
 */
export function isNodemonCommand(command: string): boolean {
  const words = command.trim().split(/\s+/);
  const program = path.posix.basename(words[0] ?? '');
  if (NODEMON_NAMES.has(program)) return true;
  if (!/^node(js)?(\d+(\.\d+)*)?$/.test(program)) return false;
  for (let i = 1; i < words.length; i += 1) {
    const word = words[i];
    if (NODE_OPTIONS_WITH_VALUE.has(word)) {
      i += 1;
      continue;
    }
    if (word.startsWith('-')) continue;
    return NODEMON_NAMES.has(path.posix.basename(word));
  }
  return false;
}

/** A strategy and the evidence it was chosen on, for the log line. */
export interface RestartDetection {
  strategy: ResolvedRestart;
  why: string;
}

/**
 * Picks the restart strategy and says why. Pure.
 * - nodemon among our nearest ancestors (legacy nodes: pm2 → npm start → nodemon app.js):
 *   nodemon restarts on file changes and NOT after an exit, so we must not
 *   exit. It wins over pm2's variables, which its child inherits.
 * - a supervisor that respawns on exit (systemd on ArcaneOS — FLUXOS_PATH or
 *   INVOCATION_ID set — or pm2, which sets pm_id): exit.
 * - otherwise nothing that would bring us back: none ("restart required").
 */
export function detectRestartStrategy(strategy: RestartStrategy, context: ProcessContext): RestartDetection {
  if (strategy !== 'auto') return { strategy, why: 'configured' };
  const depth = context.ancestors.slice(0, ANCESTOR_DEPTH).findIndex(isNodemonCommand);
  if (depth >= 0) return { strategy: 'nodemon', why: `nodemon is ancestor ${depth + 1} (${context.ancestors[depth]})` };
  const { env } = context;
  if (env.FLUXOS_PATH) return { strategy: 'exit', why: 'FLUXOS_PATH is set (ArcaneOS, systemd respawns FluxOS)' };
  if (env.INVOCATION_ID) return { strategy: 'exit', why: 'INVOCATION_ID is set (a systemd service)' };
  if (env.pm_id !== undefined) return { strategy: 'exit', why: 'pm_id is set (pm2 restarts what exits)' };
  return { strategy: 'none', why: 'no nodemon parent and no systemd or pm2 environment' };
}

/** detectRestartStrategy() without the evidence. Pure. */
export function resolveRestartStrategy(strategy: RestartStrategy, context: ProcessContext): ResolvedRestart {
  return detectRestartStrategy(strategy, context).strategy;
}

/** Parent pid from /proc/<pid>/stat, whose field 4 follows the parenthesised name (which may hold spaces or ')'). */
export function parentPidFromStat(stat: string): number | null {
  return parseProcStat(stat)?.ppid ?? null;
}

/**
 * Our ancestors' command lines from /proc, nearest first, and our environment.
 * Off Linux (no /proc) the chain is empty and `auto` decides from the
 * environment alone. Synchronous: a few small reads at boot, once.
 */
export function readProcessContext(procRoot = '/proc', startPid: number = process.ppid): ProcessContext {
  const ancestors: string[] = [];
  let pid: number | null = startPid;
  // pid 1 is init/systemd: it is the supervisor, never nodemon, and the chain ends there.
  while (ancestors.length < ANCESTOR_DEPTH && pid !== null && pid > 1) {
    try {
      ancestors.push(readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim());
      pid = parentPidFromStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
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
 * delay after the touch (and kills us when it restarts); `exit` leaves on the
 * next turn of the event loop so the log line gets out first.
 */
export async function triggerRestart(strategy: ResolvedRestart, options: RestartOptions): Promise<void> {
  const { logger } = options;
  if (strategy === 'none') {
    logger.warn('restart required: the checkout changed, and no restart strategy is in force');
    return;
  }
  if (strategy === 'nodemon') {
    // The checkout usually changed watched files already; the touch covers a
    // switch that changed none of them, and only restarts nodemon's delay.
    for (const name of NODEMON_TOUCH_FILES) {
      const file = path.join(options.repoDir, name);
      try {
        const now = new Date();
        await fs.utimes(file, now, now);
        logger.info(`restart: touched ${name} so nodemon restarts FluxOS onto the new code`);
        return;
      } catch {
        // missing or not ours: try the next one
      }
    }
    logger.warn(
      `restart required: the nodemon strategy found none of ${NODEMON_TOUCH_FILES.join(', ')} to touch in ` +
        `${options.repoDir}`,
    );
    return;
  }
  logger.info(`restart: exiting with code ${RESTART_EXIT_CODE} so the supervisor starts FluxOS on the new code`);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  setImmediate(() => exit(RESTART_EXIT_CODE));
}
