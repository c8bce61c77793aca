import { promises as fs, readdirSync, readFileSync, statSync } from 'node:fs';
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

/** FluxOS's nodemon.json watch and ignore lists (v8.17.0), used when the checkout has no readable nodemon.json. */
export const FLUXOS_NODEMON_WATCH = [
  'package-lock.json',
  'yarn.lock',
  'package.json',
  'ZelBack/',
  'app.js',
  'apiServer.js',
  'helpers/',
  'lib/',
];
const FLUXOS_NODEMON_IGNORE = ['config/'];
/** Files nodemon watches by default (its `ext`: js, mjs, cjs, json). */
const WATCHED_EXTENSION = /\.(c|m)?js$|\.json$/;

function nodemonLists(repoDir: string): { watch: string[]; ignore: string[] } {
  try {
    const parsed = JSON.parse(readFileSync(path.join(repoDir, 'nodemon.json'), 'utf8')) as Record<string, unknown>;
    const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v) => typeof v === 'string') : []);
    const watch = strings(parsed.watch);
    if (watch.length > 0) return { watch, ignore: strings(parsed.ignore) };
  } catch {
    // no nodemon.json, or not JSON: FluxOS's lists
  }
  return { watch: FLUXOS_NODEMON_WATCH, ignore: FLUXOS_NODEMON_IGNORE };
}

/** The first watched file inside `dir`, files before subdirectories, names in order, ignored names skipped. */
function fileInside(dir: string, ignored: Set<string>, depth: number): string | null {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return null;
  }
  const visible = entries.filter((name) => !name.startsWith('.') && name !== 'node_modules' && !ignored.has(name));
  const kinds = visible.map((name) => ({ name, stat: statSync(path.join(dir, name), { throwIfNoEntry: false }) }));
  const file = kinds.find((entry) => entry.stat?.isFile() && WATCHED_EXTENSION.test(entry.name));
  if (file) return path.join(dir, file.name);
  if (depth === 0) return null;
  for (const entry of kinds.filter((candidate) => candidate.stat?.isDirectory())) {
    const found = fileInside(path.join(dir, entry.name), ignored, depth - 1);
    if (found) return found;
  }
  return null;
}

/**
 * What to touch so nodemon restarts FluxOS (docs/design.md §5). A checkout that replaces a watched
 * *file* (app.js differs between branches) costs nodemon its watch on it, while watches on directories
 * survive; so the target is an existing file inside a watched directory (FluxOS: ZelBack/src/routes.js),
 * and a watched file only when no watched directory has one. Touching changes the mtime only: git shows
 * nothing new. Null when nothing watched exists.
 */
export function nodemonTouchTarget(repoDir: string): string | null {
  const { watch, ignore } = nodemonLists(repoDir);
  const ignored = new Set(ignore.map((entry) => entry.replace(/\/+$/, '')));
  const inside = (entry: string) => path.join(repoDir, entry);
  for (const entry of watch) {
    if (!statSync(inside(entry), { throwIfNoEntry: false })?.isDirectory()) continue;
    const found = fileInside(inside(entry), ignored, 3);
    if (found) return found;
  }
  const file = watch.find((entry) => statSync(inside(entry), { throwIfNoEntry: false })?.isFile());
  return file === undefined ? null : inside(file);
}

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
    // The checkout usually changed watched files already; the touch covers a switch that changed none of
    // them, a file watch the checkout cost nodemon, and a restart wanted later (recheck, install).
    const target = nodemonTouchTarget(options.repoDir);
    try {
      if (target === null) throw new Error('nothing to touch');
      const now = new Date();
      await fs.utimes(target, now, now);
      logger.info(
        `restart: touched ${path.relative(options.repoDir, target)} so nodemon restarts FluxOS onto the new code`,
      );
    } catch {
      logger.warn(`restart required: the nodemon strategy found no watched file to touch in ${options.repoDir}`);
    }
    return;
  }
  logger.info(`restart: exiting with code ${RESTART_EXIT_CODE} so the supervisor starts FluxOS on the new code`);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  setImmediate(() => exit(RESTART_EXIT_CODE));
}
