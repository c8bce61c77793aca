/**
 * `fluxos-preprod tracked-version` (docs/design.md §8, §9): the `version` in package.json at the remote tip
 * of the branch this checkout tracks (preprod on a preprod node, master otherwise), after a fetch bounded
 * by `preProd.fetchTimeoutMs`. An operator's check of what the watchdog should compare a node with; the
 * git adapter is loaded only when the command runs, so the other commands do not pay for it.
 */
import type { Command } from 'commander';
import type { Settings } from '../../types';

export interface TrackedVersionOptions {
  repo?: string;
  config?: string;
  json?: boolean;
}

/** What the command needs from the program that registers it. */
export interface TrackedVersionContext {
  /** The checkout to read: --repo or the default, checked to be a directory. */
  repoDir(options: TrackedVersionOptions): string;
  loadSettings(options: TrackedVersionOptions): Settings;
  print(text: string): void;
  printJson(value: unknown): void;
  setExit(code: number): void;
}

export function addTrackedVersionCommand(program: Command, context: TrackedVersionContext): Command {
  return program
    .command('tracked-version')
    .description('The package.json version at the remote tip of the branch this node tracks (for the watchdog).')
    .option('--repo <dir>', 'the FluxOS checkout (default: $FLUXOS_PATH or ~/zelflux)')
    .option('--config <file>', 'JSON deep-merged over the defaults')
    .option('--json', 'print one JSON object')
    .action(async (options: TrackedVersionOptions) => {
      const settings = context.loadSettings(options);
      const dir = context.repoDir(options);
      const { openRepository } = await import('../../checkout/repository');
      const tracked = await openRepository(dir).trackedVersion(settings.preProd);
      if (options.json) context.printJson(tracked);
      else context.print(`${tracked.version}\n`);
      context.setExit(0);
    });
}
