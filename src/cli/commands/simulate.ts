/**
 * `fluxos-preprod simulate` (docs/design.md §3, §8): a Monte Carlo of the real cohort rules over months,
 * to see how many nodes sit on preprod and how much that wanders before the rules meet the real fleet.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { formatSimulation } from '../format';
import { fraction, positiveNumber, usage, wholeNumber } from '../options';
import { addReleaseOptions, type ReleaseSimulationCliOptions, runReleaseSimulation } from './simulateReleases';

interface SimulateOptions extends ReleaseSimulationCliOptions {
  nodes?: number;
  months?: number;
  probability: number;
  seed?: number;
  restartDays: number;
  optOut: number;
  json?: boolean;
}

export function addSimulateCommand(program: Command, context: CliContext): Command {
  const command = program
    .command('simulate')
    .description('Monte Carlo of the real cohort rules over months; with --releases, of the release gate.')
    .option('--nodes <n>', 'nodes in the fleet (required without --releases)', wholeNumber('--nodes', 1, 1_000_000))
    .option('--months <m>', 'months to simulate (required without --releases)', wholeNumber('--months', 1, 120))
    .option('--probability <p>', 'configured probability', fraction('--probability'), 0.07)
    .option('--seed <s>', 'random seed (same seed, same report)', wholeNumber('--seed', 0, 0xffffffff))
    .option('--restart-days <d>', 'mean days between restarts', positiveNumber('--restart-days', 0.1, 3650), 7)
    .option('--opt-out <share>', 'share of nodes opted out', fraction('--opt-out'), 0.02)
    .option('--config <file>', 'with --releases: JSON with a `gate` block merged over the defaults')
    .option('--json', 'print one JSON object');
  return addReleaseOptions(command, { whole: wholeNumber, fraction }).action(async (options: SimulateOptions) => {
    if (options.releases) return context.setExit(await runReleaseSimulation(options, context));
    if (options.nodes === undefined) throw usage("Required option '--nodes <n>' not specified.");
    if (options.months === undefined) throw usage("Required option '--months <m>' not specified.");
    const { simulate } = await import('../../cohort/simulate');
    const report = simulate({
      nodes: options.nodes,
      months: options.months,
      probability: options.probability,
      seed: options.seed,
      meanRestartDays: options.restartDays,
      optOutShare: options.optOut,
    });
    if (options.json) context.printJson(report);
    else context.print(formatSimulation(report));
    context.setExit(0);
  });
}
