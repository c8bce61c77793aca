/**
 * One real boot of the checkout, in its own process, for the fault-injection
 * tests (killDuringSwitch, diskFaults): the parent kills it, limits its file
 * size or mounts its repository read-only, then looks at what is left.
 *
 * Usage: node bootChild.js '<json BootChildArgs>'
 *
 * Everything the parent needs to tell where the boot was goes to stdout, one
 * line each (stdout is a pipe, which Node writes synchronously on Linux, so
 * every line written before a SIGKILL reaches the parent):
 *   READY                 modules loaded, runAtBoot() about to start
 *   GIT <args>            a git process is being spawned
 *   LOG <level> <message> a line of the boot's log
 *   RESULT <json>         the BootResult (and `healthy` when asked to mark it)
 */
import { execFileSync } from 'node:child_process';
// The entry point FluxOS requires, not the modules behind it: the test drives the public API.
import { FileStateStore } from '../../../src/index';
import { createTestService } from '../../../src/testing';
import { openRepository } from '../../../src/checkout/repository';

export interface BootChildArgs {
  repoDir: string;
  storeFile: string;
  /** Raw `preProd` settings, merged over the defaults. */
  preProd: Record<string, unknown>;
  /** Call markHealthy() after the boot, as FluxOS does once it is up. */
  markHealthy?: boolean;
  /** Passed to openRepository; absent means the product default. */
  staleLockAgeMs?: number;
  /**
   * Paths to bind-mount read-only over themselves before the boot. Only
   * meaningful when the child runs in its own mount namespace (`unshare -m`),
   * where the mounts vanish with it.
   */
  readOnlyPaths?: string[];
}

function line(text: string): void {
  // One write per line, newlines inside a message flattened: the parent parses lines.
  process.stdout.write(`${text.replace(/\r?\n/g, ' \\n ')}\n`);
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '') as BootChildArgs;
  for (const target of args.readOnlyPaths ?? []) {
    // A bind mount of the path over itself, then remounted read-only: root's writes fail with EROFS.
    execFileSync('mount', ['--bind', target, target]);
    execFileSync('mount', ['-o', 'remount,ro,bind', target]);
  }
  const log = (level: string) => (message: string) => line(`LOG ${level} ${message}`);
  const logger = { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') };
  const repository = openRepository(args.repoDir, {
    logger,
    onGitSpawn: (gitArgs) => line(`GIT ${gitArgs.join(' ')}`),
    ...(args.staleLockAgeMs === undefined ? {} : { staleLockAgeMs: args.staleLockAgeMs }),
  });
  const service = createTestService({
    repoDir: args.repoDir,
    store: new FileStateStore(args.storeFile),
    settings: { preProd: { restart: 'none', ...args.preProd } },
    logger,
    repository,
    armHealthyTimer: false,
    exit: () => undefined,
  });
  line('READY');
  const result = await service.runAtBoot();
  const healthy = args.markHealthy ? await service.markHealthy() : undefined;
  line(`RESULT ${JSON.stringify({ ...result, healthy })}`);
}

// Only as a program: the harness imports its types.
if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      // runAtBoot() never throws; reaching this is a bug in the product or in this script.
      line(`CRASH ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(3);
    },
  );
}
