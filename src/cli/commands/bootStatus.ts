/**
 * `fluxos-preprod boot` and `status` (docs/design.md §8): the same options, output and exit codes; only the
 * call differs. boot runs the boot step now (decide, switch the checkout, restart if asked); status says
 * whether this node is preprod, why and until when, and never writes. `openService` builds the service
 * the way these two and `serve` need it. The boot code is loaded when a command runs: `--help` and the
 * quick commands do not pay for it.
 */
import { exitCodeForReason } from '../../cohort/reasons';
import { redact } from '../../text';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { BootResult, PreprodService } from '../../boot/service';
import { describeError, PreprodError } from '../../errors';
import { createCliLogger, type Logger } from '../../logger';
import type { StateStore } from '../../state';
import { DEFAULT_STORE_URL, storeKind } from '../../state/storeUrl';
import type { RestartStrategy } from '../../types';
import type { CliContext } from '../context';
import { formatBootResult } from '../format';
import { readSettings } from '../../config/settings';
import { addReadOptions, type ReadOptions, repoDir, restartOption } from '../options';

export interface BootOptions extends ReadOptions {
  restart?: RestartStrategy;
}

/** Exit code of a boot or status result: 1 when something outside the node failed, else 0. */
export function exitCodeFor(result: BootResult): number {
  return exitCodeForReason(result.reason);
}

export function loggerFor(options: { verbose?: boolean }): Logger {
  return createCliLogger(options.verbose ? 'debug' : 'info');
}

/** A store that answers every call with the error that opening it gave, so boot reports store-unavailable. */
function unavailableStore(error: unknown, description: string): StateStore {
  const fail = async (): Promise<never> => {
    throw error;
  };
  return { description, get: fail, set: fail, delete: fail, close: async () => undefined };
}

async function openStoreOrReport(url: string, logger: Logger): Promise<StateStore> {
  const { openStore } = await import('../../state');
  try {
    return await openStore(url);
  } catch (error) {
    if (error instanceof PreprodError && error.kind === 'usage') throw error;
    logger.warn(describeError(error));
    return unavailableStore(error, redact(url));
  }
}

async function userconfigPath(options: ReadOptions, repo: string): Promise<string> {
  const { readUserFlags } = await import('../../config/userconfig');
  const file = path.resolve(options.userconfig ?? path.join(repo, 'config', 'userconfig.js'));
  readUserFlags(file); // a broken file is bad input: exit 2 here, before anything runs
  return file;
}

/** The service and its store, from the read options; bad usage and a broken input fail before anything runs. */
export async function openService(
  options: BootOptions,
  serving = false,
): Promise<{ service: PreprodService; store: StateStore }> {
  const storeUrl = options.store ?? DEFAULT_STORE_URL;
  storeKind(storeUrl); // usage errors first, before anything is read
  const repo = repoDir(options);
  // On a FluxOS node, the preProd block FluxOS passes in-process (its default.js), under --config.
  const { readFluxosPreProd } = await import('../../config/fluxosConfig');
  const settings = readSettings({ configFile: options.config, fluxos: readFluxosPreProd(repo) });
  const userconfig = await userconfigPath(options, repo);
  const logger = loggerFor(options);
  const store = await openStoreOrReport(storeUrl, logger);
  const { createService } = await import('../../boot/service');
  const service = createService({
    repoDir: repo,
    store,
    settings,
    userconfig,
    logger,
    restart: options.restart ?? 'none',
    armHealthyTimer: false,
    exit: () => undefined, // the CLI is not FluxOS: report the restart, never exit for it
    backgroundChecks: serving, // a one-shot boot schedules nothing; serve is a long-lived process
  });
  return { service, store };
}

function addBootOrStatus(program: Command, context: CliContext, name: 'boot' | 'status', description: string) {
  const command = addReadOptions(program.command(name).description(description));
  if (name === 'boot') command.addOption(restartOption());
  return command.option('--json', 'print one JSON object').action(async (options: BootOptions) => {
    const { service, store } = await openService(options);
    try {
      const result = name === 'boot' ? await service.runAtBoot() : await service.status();
      if (options.json) context.printJson(result);
      else context.print(formatBootResult(result, name));
      context.setExit(exitCodeFor(result));
    } finally {
      await store.close();
    }
  });
}

export function addBootCommand(program: Command, context: CliContext): Command {
  return addBootOrStatus(
    program,
    context,
    'boot',
    'Run the boot step now: decide, switch the checkout, restart if asked.',
  );
}

export function addStatusCommand(program: Command, context: CliContext): Command {
  return addBootOrStatus(
    program,
    context,
    'status',
    'Say whether this node is preprod, why, and until when. Never writes.',
  );
}
