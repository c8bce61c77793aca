/**
 * `fluxos-preprod healthy` (docs/design.md §8): marks this boot healthy, which clears the crash-loop count
 * of a preprod node. What FluxOS does once it runs well, for an operator to do by hand.
 */
import type { Command } from 'commander';
import { DEFAULT_STORE_URL } from '../../state/storeUrl';
import { BOOT_HEALTH_KEY } from '../../types';
import type { CliContext } from '../context';
import { type ReadOptions, repoDir } from '../options';
import { loggerFor } from './bootStatus';

export function addHealthyCommand(program: Command, context: CliContext): Command {
  return program
    .command('healthy')
    .description('Mark this boot healthy: clears the crash-loop count of a preprod node.')
    .option('--repo <dir>', 'the FluxOS checkout (default: $FLUXOS_PATH or ~/zelflux)')
    .option('--store <url>', `state store (default: ${DEFAULT_STORE_URL})`)
    .action(async (options: ReadOptions) => {
      const [{ openStore }, { createPreprodService }] = await Promise.all([
        import('../../state'),
        import('../../boot/service'),
      ]);
      const store = await openStore(options.store ?? DEFAULT_STORE_URL);
      try {
        // markHealthy() never throws (FluxOS calls it); here a store that cannot be read is an operational
        // failure (exit 1), not "nothing to clear".
        await store.get(BOOT_HEALTH_KEY);
        const service = createPreprodService({
          repoDir: repoDir(options),
          store,
          logger: loggerFor(options),
          armHealthyTimer: false,
        });
        context.print(`${(await service.markHealthy()).message}\n`);
      } finally {
        await store.close();
      }
    });
}
