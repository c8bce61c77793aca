/**
 * `fluxos-preprod demo`, what `npm start` runs (docs/design.md §8): a throw-away local fleet booted for real
 * (the fleet itself is built in ../demo.ts, loaded when the command runs). Runs until SIGINT or SIGTERM.
 */
import type { Command } from 'commander';
import { type CliContext, waitForSignal } from '../context';
import { fraction, wholeNumber } from '../options';

interface DemoCommandOptions {
  nodes: number;
  store?: string;
  probability: number;
  keep?: boolean;
}

export function addDemoCommand(program: Command, context: CliContext): Command {
  return program
    .command('demo')
    .description(
      'A throw-away local fleet: boots N nodes for real, serves their /flux/info, scans them. What `npm start` runs.',
    )
    .option('--nodes <n>', 'nodes in the local fleet', wholeNumber('--nodes', 1, 500), 50)
    .option('--store <url>', 'file (default, one file per node) or mongodb://host:port (one database per node)')
    .option('--probability <p>', 'probability of the demo fleet', fraction('--probability'), 0.07)
    .option('--keep', 'keep the temp files on exit')
    .action(async (options: DemoCommandOptions) => {
      const { runDemo } = await import('../demo');
      await runDemo({ ...options, stdout: context.stdout, stderr: context.stderr, waitForStop: waitForSignal });
      context.exitWhenDone();
      context.setExit(0);
    });
}
