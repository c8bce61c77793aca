/**
 * `fluxos-preprod gate --history STORE [--release VERSION|COMMIT] [--at ISO]
 * [--json | --markdown | --html FILE]` (docs/design.md §8, §11). Exit codes:
 * 0 promote, 1 halt, 3 wait (also an empty history or no scan at or before
 * --at), 2 bad usage, 4 history unreadable, 5 inconclusive (watched
 * `inconclusiveAfterHours` without promote or halt: a person decides). The gate code is loaded only when
 * the command runs.
 */
import type { Command } from 'commander';
import { PreprodError } from '../../errors';
import type { GateReport } from '../../gate/judge/gate';
import type { ScanRecord } from '../../gate/history/scanRecord';
import { isoTime } from './record';

export const GATE_EXIT = { promote: 0, halt: 1, wait: 3, unreadable: 4, inconclusive: 5 } as const;

interface GateCommandOptions {
  history: string;
  release?: string;
  at?: string;
  config?: string;
  json?: boolean;
  markdown?: boolean;
  html?: string;
}

export interface GateIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

function releaseOption(raw: string): string {
  if (raw === '' || raw.length > 100 || /[\u0000-\u001f]/.test(raw)) {
    throw new PreprodError(
      'usage',
      `Expected \`--release\` to be a version or a commit prefix, got ${JSON.stringify(raw.slice(0, 40))}.`,
    );
  }
  return raw;
}

/** Reads the whole history, with a progress bar on a terminal; store errors become exit 4. */
async function loadHistory(url: string, stderr: GateIo['stderr']): Promise<ScanRecord[]> {
  const [{ openHistory, historyKind }, { createLoadProgress }] = await Promise.all([
    import('../../gate/history/history'),
    import('../../gate/history/loadProgress'),
  ]);
  historyKind(url, '--history');
  const progress = createLoadProgress(stderr as NodeJS.WriteStream);
  let history: Awaited<ReturnType<typeof openHistory>> | undefined;
  try {
    history = await openHistory(url);
    return await history.read({ onProgress: (done, total) => progress.update(done, total) });
  } finally {
    progress.stop();
    await history?.close().catch(() => undefined);
  }
}

export async function runGate(options: GateCommandOptions, io: GateIo): Promise<number> {
  const formats = [options.json, options.markdown, options.html !== undefined].filter(Boolean).length;
  if (formats > 1) throw new PreprodError('usage', 'Give one of --json, --markdown or --html FILE.');
  const [{ readGateSettings }, { evaluateHistory }] = await Promise.all([
    import('../../gate/judge/gateSettings'),
    import('../../gate/judge/gate'),
  ]);
  const settings = readGateSettings(options.config);
  let scans: ScanRecord[];
  try {
    scans = await loadHistory(options.history, io.stderr);
  } catch (error) {
    if (error instanceof PreprodError && (error.kind === 'store-unavailable' || error.kind === 'store-corrupt')) {
      io.stderr.write(`fluxos-preprod: ${error.message}\n`);
      return GATE_EXIT.unreadable;
    }
    throw error;
  }
  const report = evaluateHistory(scans, {
    settings,
    release: options.release,
    at: options.at,
    // The last scan's age is measured against the clock, or against --at when judging the past.
    now: options.at ?? new Date().toISOString(),
    // The reports for people chart the decisive numbers and show their latest estimates; text and JSON stay fast.
    timeline: options.html !== undefined || options.markdown === true,
  });
  await writeReport(report, options, io);
  return GATE_EXIT[report.verdict];
}

async function writeReport(report: GateReport, options: GateCommandOptions, io: GateIo): Promise<void> {
  const text = await import('../../gate/report/text');
  if (options.json) {
    io.stdout.write(text.gateJson(report));
    return;
  }
  if (options.markdown) {
    const { gateMarkdown } = await import('../../gate/report/markdown');
    io.stdout.write(gateMarkdown(report));
    return;
  }
  if (options.html !== undefined) {
    const { writeHtmlReport } = await import('../../gate/report/htmlFile');
    await writeHtmlReport(report, options.html);
    io.stdout.write(`${report.verdict}: report written to ${options.html}\n`);
    return;
  }
  io.stdout.write(text.formatGateText(report));
}

export function addGateCommand(program: Command, io: GateIo, setExit: (code: number) => void): Command {
  return program
    .command('gate')
    .description(
      'Judge the release on preprod from the recorded history: promote (0), halt (1), wait (3) or inconclusive (5).',
    )
    .requiredOption('--history <store>', 'the recorded history: file:PATH or mongodb://host:port[/db]')
    .option(
      '--release <version|commit>',
      'the release to judge (default: the one most preprod nodes run)',
      releaseOption,
    )
    .option('--at <iso>', 'judge as of the latest scan at or before this time', isoTime('--at'))
    .option('--config <file>', 'JSON with a `gate` block merged over the defaults')
    .option('--json', 'print one JSON object')
    .option('--markdown', 'print a Markdown report for the preprod → master pull request')
    .option('--html <file>', 'write a self-contained HTML report with timelines to FILE')
    .action(async (options: GateCommandOptions) => {
      setExit(await runGate(options, io));
    });
}
