/**
 * `fluxos-preprod fleet`: fetch /flux/info from many nodes and count the
 * preprod fleet (docs/design.md §7, §8). The options live in one place,
 * `addFleetOptions`, and the targets are gathered in `gatherTargets`, so a
 * command built on the same scan (a recording or watching one) adds its
 * own options next to these and reuses both.
 */
import type { Command } from 'commander';
import { readSettings } from '../../config/settings';
import { PreprodError } from '../../errors';
import { addRecordOptions, prepareRecord, type RecordOptions } from './record';
import { type FileReadError, readRegularFileSync } from '../../os/readFile';
import { shownPath } from '../../text';
import type { FleetSummary, Target } from '../../fleet';
// The scan code is loaded when the command runs; help and the other commands need only its defaults.
import { SCAN_DEFAULTS } from '../../fleet/limits';

export interface FleetOptions {
  targets?: string;
  concurrency: number;
  timeout: number;
  config?: string;
  allowPrivate?: boolean;
  json?: boolean;
  prom?: boolean;
}

export interface FleetCommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  setExit: (code: number) => void;
  /** The CLI's strict whole-number option parser. */
  wholeNumber: (name: string, min: number, max: number) => (raw: string) => number;
}

function usage(message: string): PreprodError {
  return new PreprodError('usage', message);
}

/** The options of a fleet scan, shared by every command that scans (`fleet`, `fleet watch`). */
export function addScanOptions(command: Command, wholeNumber: FleetCommandContext['wholeNumber']): Command {
  return command
    .option('--targets <file>', 'a file of host[:port] lines, or the JSON node list with `ip` fields')
    .option(
      '--concurrency <n>',
      'requests in flight (at most 2048: the scan buffers at most 64 KiB per reply and 128 MiB in all)',
      wholeNumber('--concurrency', 1, 10000),
      SCAN_DEFAULTS.concurrency,
    )
    .option(
      '--timeout <ms>',
      'deadline per node: connect, whole body and parsing',
      wholeNumber('--timeout', 1, 600000),
      SCAN_DEFAULTS.timeoutMs,
    )
    .option(
      '--allow-private',
      'scan node-list entries that point at loopback, private, link-local or multicast addresses',
    );
}

/** The options of `fleet`: the scan's, its settings and its output. */
export function addFleetOptions(command: Command, context: FleetCommandContext): Command {
  return addScanOptions(command, context.wholeNumber)
    .option('--config <file>', 'settings file; its probability is the one compared against')
    .option('--json', 'print one JSON object')
    .option('--prom', 'print Prometheus text exposition');
}

export interface GatheredTargets {
  targets: Target[];
  dropped?: FleetSummary['dropped'];
}

/**
 * The targets of a scan: arguments, then the --targets file. Bad lines are
 * reported on stderr and skipped; node-list entries are screened (screen.ts).
 */
export async function gatherTargets(
  args: readonly string[],
  options: FleetOptions,
  stderr: FleetCommandContext['stderr'],
): Promise<GatheredTargets> {
  const { parseTargetArg, parseTargets, screenNodeList, uniqueTargets } = await import('../../fleet');
  const targets: Target[] = args.map((arg) => parseTargetArg(arg));
  let dropped: FleetSummary['dropped'];
  if (options.targets) {
    let text: string;
    try {
      text = readRegularFileSync(options.targets, { maxBytes: MAX_TARGETS_BYTES });
    } catch (error) {
      throw usage(`Cannot read the targets file ${shownPath(options.targets)}: ${(error as FileReadError).reason}.`);
    }
    const parsed = parseTargets(text);
    for (const problem of parsed.problems) stderr.write(`${options.targets}:${problem.line}: ${problem.message}\n`);
    let fromFile = parsed.targets;
    if (parsed.format === 'node-list') {
      const screened = await screenNodeList(fromFile, {
        allowPrivate: options.allowPrivate,
        timeoutMs: options.timeout,
      });
      fromFile = screened.targets;
      dropped = screened.dropped;
      if (screened.dropped.total > 0) stderr.write(`${options.targets}: ${droppedSentence(screened.dropped)}\n`);
    }
    targets.push(...fromFile);
  }
  const unique = uniqueTargets(targets);
  if (unique.length === 0) throw usage('Expected at least one target (arguments or --targets FILE), got none.');
  return { targets: unique, dropped };
}

function droppedSentence(dropped: NonNullable<FleetSummary['dropped']>): string {
  const parts = Object.keys(dropped.byScope).map((scope) => `${dropped.byScope[scope]} ${scope}`);
  const entries = dropped.total === 1 ? 'entry' : 'entries';
  const why = parts.join(', ');
  const sentence = `Dropped ${dropped.total} node-list ${entries} that point at no public address (${why})`;
  return `${sentence}; --allow-private scans them.`;
}

/** A node list of 13,000 entries is a few MB; a targets file larger than this is a mistake or an attack. */
const MAX_TARGETS_BYTES = 64 * 1024 * 1024;

export function addFleetCommand(program: Command, context: FleetCommandContext): Command {
  const command = program
    .command('fleet')
    .description('Fetch /flux/info from many nodes and count the preprod fleet.')
    .argument('[target...]', 'host[:port] of nodes (default port 16127)');
  addRecordOptions(addFleetOptions(command, context));
  return command.action(async (args: string[], options: FleetOptions & RecordOptions) => {
    if (options.json && options.prom) throw usage('Give --json or --prom, not both.');
    const settings = readSettings({ configFile: options.config });
    const { targets, dropped } = await gatherTargets(args, options, context.stderr);
    // Bad --record/--at usage exits 2 before anything is scanned.
    const recorder = await prepareRecord(options, context.stderr);
    const { formatJson, formatPrometheus, formatTable, runFleet } = await import('../../fleet');
    const summary = await runFleet({
      onNode: recorder?.collect,
      targets,
      dropped,
      concurrency: options.concurrency,
      timeoutMs: options.timeout,
      probability: settings.preProd.probability,
      progressStream: context.stderr as NodeJS.WriteStream,
    });
    const text = options.json ? formatJson(summary) : options.prom ? formatPrometheus(summary) : formatTable(summary);
    context.stdout.write(text);
    context.setExit(recorder ? await recorder.finish() : 0);
  });
}
