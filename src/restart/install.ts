import { spawn } from 'child_process';
import { readdir, readFile } from 'fs/promises';
import * as path from 'path';
import { PreprodError } from '../errors';

/** Any logger with info and warn (FluxOS's own logger, winston, console). */
export interface InstallLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** After SIGTERM, how long the install's process group gets to exit before SIGKILL. */
const TERM_GRACE_MS = 2000;
/** After the child exits, how long to wait for the last stderr bytes. */
const DRAIN_MS = 200;
/** Bytes of stderr kept for the error message. */
const STDERR_TAIL_BYTES = 8192;

/**
 * Run the dependency install (DESIGN §4) in `dir`: argv[0] with the rest as
 * arguments, no shell, so nothing from config is ever parsed by a shell.
 *
 * The command runs in its own process group (spawned detached) because npm
 * starts grandchildren (lifecycle scripts, node-gyp): on timeout the whole
 * group gets SIGTERM, then SIGKILL after a short grace, so nothing is left
 * running against a half-written node_modules.
 *
 * Resolves with the duration; throws PreprodError('install-failed') on a
 * non-zero exit, a signal, a spawn failure or the timeout, with the last line
 * of stderr in the message.
 */
export async function runInstall(
  dir: string,
  argv: string[],
  timeoutMs: number,
  logger?: InstallLogger,
): Promise<{ ms: number }> {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((arg) => typeof arg !== 'string') || argv[0] === '') {
    throw new PreprodError(
      'config-invalid',
      `Expected \`installCommand\` to be a non-empty array of strings, got ${JSON.stringify(argv)}.`,
    );
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new PreprodError('config-invalid', `Expected \`installTimeoutMs\` to be a positive number, got ${String(timeoutMs)}.`);
  }

  const commandLine = argv.join(' ');
  const started = Date.now();
  logger?.info(`Running \`${commandLine}\` in ${dir}.`);

  const child = spawn(argv[0], argv.slice(1), {
    cwd: dir,
    detached: true,
    shell: false,
    stdio: ['ignore', 'ignore', 'pipe'],
    windowsHide: true,
  });
  const tail = new TailBuffer(STDERR_TAIL_BYTES);
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));

  type Outcome = { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null } | { kind: 'error'; error: Error } | { kind: 'timeout' };
  const exited = new Promise<Outcome>((resolve) => {
    child.once('exit', (code, signal) => resolve({ kind: 'exit', code, signal }));
    child.once('error', (error) => resolve({ kind: 'error', error }));
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));

  // The group is detached, so it would outlive a host that exits mid-install (a restart) and race
  // the next boot's install over node_modules: take it along.
  const onHostExit = (): void => {
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  };
  process.once('exit', onHostExit);

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
  });

  const outcome = await Promise.race([exited, timedOut]);
  clearTimeout(timer);

  if (outcome.kind === 'timeout' && child.pid !== undefined) {
    killGroup(child.pid, 'SIGTERM');
    await Promise.race([exited, delay(TERM_GRACE_MS)]);
    // Grandchildren may ignore SIGTERM, or outlive the child they belong to.
    killGroup(child.pid, 'SIGKILL');
    await waitForGroupExit(child.pid, TERM_GRACE_MS);
  }
  if (outcome.kind === 'exit') {
    // A grandchild that inherited stderr can keep it open after the child exits; do not wait on it forever.
    await Promise.race([closed, delay(DRAIN_MS)]);
  }
  child.stderr?.destroy();
  process.removeListener('exit', onHostExit);

  const ms = Date.now() - started;
  const lastLine = tail.lastLine();
  const output = lastLine ? `: ${lastLine}` : ' (no error output)';
  if (outcome.kind === 'timeout') {
    throw new PreprodError('install-failed', `Running \`${commandLine}\` timed out after ${timeoutMs} ms${output}.`);
  }
  if (outcome.kind === 'error') {
    throw new PreprodError('install-failed', `Running \`${commandLine}\` could not start: ${outcome.error.message}.`, {
      cause: outcome.error,
    });
  }
  if (outcome.code !== 0) {
    const how = outcome.signal ? `was killed by ${outcome.signal}` : `failed with exit code ${outcome.code}`;
    throw new PreprodError('install-failed', `Running \`${commandLine}\` ${how}${output}.`);
  }
  logger?.info(`\`${commandLine}\` finished in ${ms} ms.`);
  return { ms };
}

/** Signals a whole process group (spawned detached, so its pgid is the leader's pid); a gone group is fine. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Poll until no live process of the group is left. Zombies count as gone:
 * they run nothing, and a container's PID 1 may take its time to reap them.
 */
async function waitForGroupExit(pgid: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline && (await groupAlive(pgid))) await delay(20);
}

async function groupAlive(pgid: number): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    // Not Linux: the group is alive while the kernel still knows it.
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  const states = await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map((entry) => readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')),
  );
  return states.some((stat) => {
    // Fields after the parenthesised command name: state, ppid, pgrp, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields.length > 2 && Number(fields[2]) === pgid && fields[0] !== 'Z';
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Keeps the last `limit` bytes of a stream. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.limit) {
      this.size -= this.chunks[0].length;
      this.chunks.shift();
    }
  }

  lastLine(): string {
    const text = Buffer.concat(this.chunks)
      .toString('utf8')
      // Colour codes from npm would end up in logs and /flux/info otherwise.
      .replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    const lines = text.split(/\r?\n|\r/).map((line) => line.trim()).filter((line) => line !== '');
    const last = lines.length > 0 ? lines[lines.length - 1] : '';
    const clipped = last.length > 200 ? `${last.slice(0, 197)}...` : last;
    return clipped.replace(/[.\s]+$/, '');
  }
}

export interface DetachedInstall {
  dir: string;
  argv: string[];
  timeoutMs: number;
  /** Touched when the install ends (success or not), so nodemon restarts onto the result. */
  touchFile: string | null;
  /** One line per outcome is appended here. */
  logFile: string;
  /** Written just before the touch: the restart it causes is the package's own (docs/design.md §9). */
  restartMarker?: string;
}

/**
 * Starts the install so that it survives a nodemon restart. nodemon restarts
 * FluxOS a few seconds after the checkout changes its watched files and kills
 * the whole process tree, install included; so the install runs in a process
 * that is re-parented away from us (the runner re-spawns itself detached and
 * the first copy exits at once). When it ends it touches a watched file, and
 * nodemon restarts FluxOS once more, now with the new dependencies.
 * Arguments travel as one JSON argv entry: no shell, nothing parsed twice.
 */
export function startDetachedInstall(job: DetachedInstall): void {
  const runner = path.join(__dirname, 'installRunner.js');
  const child = spawn(process.execPath, [runner, '--detach', JSON.stringify(job)], {
    cwd: job.dir,
    detached: true,
    stdio: 'ignore',
    windowsHide: true,
  });
  child.on('error', () => undefined);
  child.unref();
}
