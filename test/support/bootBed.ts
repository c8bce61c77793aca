/**
 * What the boot integration suites share: a service on a real checkout with a
 * captured log, and the CLI run in a mount namespace where a directory is
 * read-only (root ignores permissions; a read-only bind mount it cannot).
 */
import { createTestService, type TestServiceOptions } from '../../src/testing';
import type { StateStore } from '../../src/state';
import { CLI_PATH, startProcess, type CliResult } from './cli';

export interface LoggedService {
  svc: ReturnType<typeof createTestService>;
  lines: string[];
}

/** A service on `dir` with `store`, logging into `lines`; restart 'none', no timers unless asked. */
export function loggedService(
  dir: string,
  store: StateStore | undefined,
  preProd: Record<string, unknown>,
  extra: Partial<TestServiceOptions> = {},
): LoggedService {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  const svc = createTestService({
    repoDir: dir,
    store,
    settings: { preProd: { restart: 'none', fetchTimeoutMs: 5000, installCommand: ['true'], ...preProd } },
    logger: { error: push('error'), warn: push('warn'), info: push('info'), debug: () => undefined },
    armHealthyTimer: false,
    backgroundChecks: false,
    random: () => 0.03,
    ...extra,
  });
  return { svc, lines };
}

/**
 * Runs the CLI with `readOnlyDir` bind-mounted read-only over itself in a
 * private mount namespace (`unshare -m`): the CLI sees it read-only, nothing
 * else does, and the mount goes with the process.
 */
export function runCliWithReadOnlyDir(readOnlyDir: string, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"';
  const argv = ['-m', 'sh', '-c', script, 'sh', readOnlyDir, process.execPath, CLI_PATH, ...args];
  return startProcess('unshare', argv, { timeoutMs }).exited;
}
