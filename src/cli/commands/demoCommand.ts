/**
 * `fluxos-preprod demo`, what `npm start` runs (docs/design.md §8): a throw-away local fleet booted for real
 * (the fleet itself is built in ../demo.ts, loaded when the command runs). Runs until SIGINT or SIGTERM.
 */
import { type Command, Option } from 'commander';
import { type CliContext, waitForSignal } from '../context';
import { fraction, wholeNumber } from '../options';

interface DemoCommandOptions {
  nodes: number;
  store?: string;
  probability: number;
  keep?: boolean;
  release?: 'good' | 'bad' | true;
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
    .addOption(new Option('--release [kind]', 'play a release and watch the gate judge it').choices(['good', 'bad']))
    .action(async (options: DemoCommandOptions, command: Command) => {
      const release = options.release === true ? 'good' : options.release;
      // A release needs a few preprod nodes to judge: probability 0.5 unless --probability was given.
      const given = command.getOptionValueSource('probability') !== 'default';
      const probability = release !== undefined && !given ? 0.5 : options.probability;
      const streams = { stdout: context.stdout, stderr: context.stderr, waitForStop: waitForSignal };
      const { runDemo } = await import('../demo');
      await runDemo({ ...options, release, probability, ...streams });
      context.exitWhenDone();
      context.setExit(0);
    });
}
