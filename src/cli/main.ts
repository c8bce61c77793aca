/**
 * The `fluxos-preprod` command (docs/design.md §8): the program, its error handling and the registration of
 * the commands, each in its own file under commands/. Exit codes: 0 done (including skipped or left alone),
 * 1 an operational failure the output explains, 2 bad usage or bad config; `boot` and `status` by reason
 * (cohort/reasons.ts), `gate` by verdict (3 wait, 4 history unreadable). Each command's codes are in
 * docs/reference.md, checked against the code by test/unit/docTables.test.ts. Errors are one sentence on
 * stderr; with --json stdout holds exactly one JSON document.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { describeError, PreprodError } from '../errors';
import { escapeText, redactUrls } from '../text';
import { addBootCommand, addStatusCommand } from './commands/bootStatus';
import { addDemoCommand } from './commands/demoCommand';
import { addFleetCommand } from './commands/fleet';
import { addGateCommand } from './commands/gate';
import { addWatchCommand } from './commands/fleetWatch';
import { addHealthyCommand } from './commands/healthy';
import { addServeCommand } from './commands/serve';
import { addSimulateCommand } from './commands/simulate';
import { addTrackedVersionCommand } from './commands/trackedVersion';
import { type CliIo, createContext, waitForSignal } from './context';
import { loadSettings, repoDir, wholeNumber } from './options';

export type { CliIo } from './context';

/**
 * Set by the long-running commands (serve, demo) once they have cleaned up; runAsProgram then leaves
 * through process.exit() (see CliContext.exitWhenDone).
 */
let exitWhenDone = false;

function newProgram(io: CliIo): Command {
  const program = new Command('fluxos-preprod')
    .description('Puts a share of FluxOS nodes on the preprod branch first, safely, and counts them.')
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      // commander's own errors ("error: unknown option '--x'") take the same one-sentence form as ours.
      outputError: (s, write) => write(`fluxos-preprod: ${redactUrls(commanderSentence(s))}\n`),
    })
    .exitOverride();
  return program.version(readPackageVersion(), '--version');
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = newProgram(io);
  const context = createContext(io, setExit, () => {
    exitWhenDone = true;
  });
  addBootCommand(program, context);
  addStatusCommand(program, context);
  addHealthyCommand(program, context);
  addServeCommand(program, context);
  // `fleet watch --record …` is watch's own option, not fleet's: options belong to the command they follow.
  program.enablePositionalOptions();
  const fleetCommand = addFleetCommand(program, { ...context, wholeNumber });
  fleetCommand.enablePositionalOptions();
  addWatchCommand(fleetCommand, { ...io, waitForSignal }, setExit, wholeNumber);
  addGateCommand(program, io, setExit);
  addSimulateCommand(program, context);
  addTrackedVersionCommand(program, { ...context, repoDir, loadSettings });
  addDemoCommand(program, context);
  return program;
}

/** "error: unknown option '--jsn'\n(Did you mean --json?)" → "Unknown option '--jsn' (did you mean --json?)." */
export function commanderSentence(text: string): string {
  const lines = text
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const joined = lines
    .map((line, i) =>
      i > 0 && line.startsWith('(') ? line.charAt(0) + line.charAt(1).toLowerCase() + line.slice(2) : line,
    )
    .join(' ');
  // An unknown option is echoed whole: a 100 KB argument must not become a 100 KB error.
  const sentence = escapeText(joined.charAt(0).toUpperCase() + joined.slice(1), 300);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

function readPackageVersion(): string {
  try {
    const file = path.resolve(__dirname, '../../../package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Help and version end in a CommanderError too; they are not errors. */
const COMMANDER_SUCCESS = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/** Runs the CLI; resolves with the exit code. Never throws. */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    // commander already printed its one line.
    if (error instanceof CommanderError) return COMMANDER_SUCCESS.has(error.code) ? 0 : 2;
    const message = error instanceof PreprodError ? error.message : `Unexpected error: ${describeError(error)}`;
    io.stderr.write(`fluxos-preprod: ${redactUrls(message)}\n`);
    if (process.env.FLUXOS_PREPROD_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return error instanceof PreprodError ? error.exitCode : 1;
  }
}

/** Runs the command line of this process and exits with its code (the `bin` entry calls this). */
export function runAsProgram(): void {
  void main(process.argv.slice(2)).then((code) => {
    if (exitWhenDone) process.exit(code);
    process.exitCode = code;
  });
}
