/**
 * `fluxos-preprod serve` (docs/design.md §6, §8): boots like `boot`, then answers GET /flux/info the way
 * FluxOS would, until SIGINT or SIGTERM.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { readRegularFileSync } from '../../os/readFile';
import type { RestartStrategy } from '../../types';
import { type CliContext, waitForSignal } from '../context';
import { addReadOptions, defaultRepo, type ReadOptions, restartOption, wholeNumber } from '../options';
import { openService } from './bootStatus';

interface ServeOptions extends ReadOptions {
  restart: RestartStrategy;
  host: string;
  port: number;
}

/** FluxOS's version as /flux/info reports it: the checkout's package.json. */
function repoVersion(repo: string | undefined): string | null {
  try {
    const file = path.join(path.resolve(repo ?? defaultRepo()), 'package.json');
    const version = (JSON.parse(readRegularFileSync(file, { maxBytes: 1024 * 1024 })) as { version?: unknown }).version;
    return typeof version === 'string' ? version.slice(0, 64) : null;
  } catch {
    return null;
  }
}

export function addServeCommand(program: Command, context: CliContext): Command {
  return addReadOptions(program.command('serve').description('Boot, then answer GET /flux/info until SIGINT/SIGTERM.'))
    .addOption(restartOption())
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', wholeNumber('--port', 0, 65535), 16127)
    .action(async (options: ServeOptions) => {
      const { service, store } = await openService(options, true);
      const stop = waitForSignal(); // before anything is printed: see runDemo
      const result = await service.runAtBoot();
      await store.close();
      const { startFluxInfoServer } = await import('../../boot/fluxInfo');
      const server = await startFluxInfoServer({
        host: options.host,
        port: options.port,
        info: service.fluxInfo,
        version: repoVersion(options.repo),
      });
      context.stderr.write(`${result.message}\n`);
      context.print(`serving ${server.url}\n`);
      await stop;
      await server.close();
      context.exitWhenDone();
      context.setExit(0);
    });
}
