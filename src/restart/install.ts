import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { filteredEnv } from '../checkout/gitEnv';
import { PreprodError } from '../errors';
import { runAsOwnerOf } from '../os/runAs';
import { runGroup, type GroupRun } from '../os/spawnGroup';
import { removeInstallRecord, settleRunningInstall, writeInstallRecord } from './installRecord';

/** Any logger with info and warn (FluxOS's own logger, winston, console). */
export interface InstallLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface InstallOptions {
  /** Run as this user and group (the checkout's owner when we are root). */
  uid?: number;
  gid?: number;
  /** Told the install's process group once it runs. */
  onGroup?: (pid: number) => void;
}

/**
 * Run the dependency install (docs/design.md §4) in `dir`: argv[0] with the
 * rest as arguments, no shell, so nothing from config is ever parsed by a
 * shell; with the same filtered environment as git (no GIT_DIR, GIT_CONFIG_*,
 * npm_config_*, ... from the host reach npm and its lifecycle scripts).
 *
 * The command runs in its own process group (os/spawnGroup.ts) because npm
 * starts grandchildren (lifecycle scripts, node-gyp): on timeout the whole
 * group is stopped, so nothing is left running against a half-written
 * node_modules.
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
  options: InstallOptions = {},
): Promise<{ ms: number }> {
  checkInstallArguments(argv, timeoutMs);
  const commandLine = argv.join(' ');
  // Never two installs in one tree: one left running by a killed boot is waited for, or stopped.
  await settleRunningInstall(dir, (line) => logger?.warn(line));
  logger?.info(`Running \`${commandLine}\` in ${dir}.`);
  let group: number | null = null;
  const { onGroup, ...given } = options;
  const onSpawn = (pid: number) => {
    group = pid;
    onGroup?.(pid);
    writeInstallRecord(dir, { pid, startedAt: new Date(), until: new Date(Date.now() + timeoutMs) });
  };
  // As the checkout's owner, like git, unless the caller says whom (docs/design.md §4).
  const runAs = given.uid === undefined ? runAsOwnerOf(dir, filteredEnv()) : { env: filteredEnv(), ...given };
  const run = await runGroup(argv[0], argv.slice(1), { cwd: dir, timeoutMs, onSpawn, ...runAs });
  if (group !== null) removeInstallRecord(dir, group);
  const failure = installFailure(commandLine, timeoutMs, run);
  if (failure) throw failure;
  logger?.info(`\`${commandLine}\` finished in ${run.ms} ms.`);
  return { ms: run.ms };
}

function checkInstallArguments(argv: unknown, timeoutMs: number): void {
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((arg) => typeof arg !== 'string') || argv[0] === '') {
    throw new PreprodError(
      'config-invalid',
      `Expected \`installCommand\` to be a non-empty array of strings, got ${JSON.stringify(argv)}.`,
    );
  }
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new PreprodError(
      'config-invalid',
      `Expected \`installTimeoutMs\` to be a positive number, got ${String(timeoutMs)}.`,
    );
  }
}

/** The error for a run that did not succeed; null when it did. */
function installFailure(commandLine: string, timeoutMs: number, run: GroupRun): PreprodError | null {
  const { outcome } = run;
  const lastLine = stderrLastLine(run.stderr);
  const output = lastLine ? `: ${lastLine}` : ' (no error output)';
  if (outcome.kind === 'timeout') {
    return new PreprodError('install-failed', `Running \`${commandLine}\` timed out after ${timeoutMs} ms${output}.`);
  }
  if (outcome.kind === 'error') {
    const message = `Running \`${commandLine}\` could not start: ${outcome.error.message}.`;
    return new PreprodError('install-failed', message, { cause: outcome.error });
  }
  if (outcome.code === 0) return null;
  const how = outcome.signal ? `was killed by ${outcome.signal}` : `failed with exit code ${outcome.code}`;
  return new PreprodError('install-failed', `Running \`${commandLine}\` ${how}${output}.`);
}

/** The last non-empty line of a command's stderr, without colour codes, clipped to 200 characters. Pure. */
export function stderrLastLine(stderr: string): string {
  // Colour codes from npm would end up in logs and /flux/info otherwise.
  const text = stderr.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  const lines = text
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const last = (lines.length > 0 ? lines[lines.length - 1] : '').replace(/[.\s]+$/, '');
  return last.length > 200 ? `${last.slice(0, 197)}...` : last;
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
  // The runner, and so its log line, marker and install, belong to the checkout's owner (os/runAs.ts).
  const { uid, gid } = runAsOwnerOf(job.dir, {});
  const child = spawn(process.execPath, [runner, '--detach', JSON.stringify(job)], {
    cwd: job.dir,
    ...(uid === undefined ? {} : { uid, gid }),
    detached: true,
    stdio: 'ignore',
    windowsHide: true,
  });
  child.on('error', () => undefined);
  child.unref();
}

/**
 * The install command for this host: settings.installCommand, plus
 * settings.arcaneOsInstallArgs on ArcaneOS (FLUXOS_PATH set), as the FluxOS
 * updaters do (docs/design.md §4). Pure.
 */
export function installCommandFor(
  settings: { installCommand: string[]; arcaneOsInstallArgs: string[] },
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return env.FLUXOS_PATH ? [...settings.installCommand, ...settings.arcaneOsInstallArgs] : [...settings.installCommand];
}
