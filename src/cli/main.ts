/**
 * The `fluxos-preprod` command (DESIGN §8). Exit codes: 0 done (including
 * skipped or left alone), 1 an operational failure the output explains,
 * 2 bad usage or bad config. Errors are one sentence on stderr; with --json
 * stdout holds exactly one JSON document.
 */
import { readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { formatBootResult, formatSimulation } from './format';
import { escapeText, readSettings, shownPath } from '../config/settings';
import { runDemo } from './demo';
import { describeError, PreprodError } from '../errors';
import { formatJson, formatPrometheus, formatTable, parseTargetArg, parseTargets, runFleet, uniqueTargets, type Target } from '../fleet';
import { startFluxInfoServer } from '../boot/fluxInfo';
import { createCliLogger, type Logger } from '../logger';
import { createPreprodService, type BootResult } from '../boot/service';
import { openRepository } from '../checkout/repository';
import { simulate } from '../cohort/simulate';
import { DEFAULT_STORE_URL, openStore, storeKind, type StateStore } from '../state';
import { BOOT_HEALTH_KEY, type RestartStrategy, type Settings } from '../types';
import { readUserFlags } from '../config/userconfig';
import { addRecordOptions, prepareRecord, type RecordOptions } from './commands/record';
import { addGateCommand } from './commands/gate';
import { addWatchCommand } from './commands/fleetWatch';
import { addReleaseOptions, runReleaseSimulation, type ReleaseSimulationCliOptions } from './commands/simulateReleases';

interface DemoCliOptions {
  nodes: number;
  store?: string;
  probability: number;
  keep?: boolean;
  release?: 'good' | 'bad' | true;
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

interface ReadOptions {
  repo?: string;
  store?: string;
  config?: string;
  userconfig?: string;
  json?: boolean;
  verbose?: boolean;
}

function defaultRepo(): string {
  return process.env.FLUXOS_PATH || path.join(os.homedir(), 'zelflux');
}

/** The checkout to act on: --repo or the default, which must be an existing directory. */
function repoDir(options: { repo?: string }): string {
  const dir = path.resolve(options.repo ?? defaultRepo());
  let problem: string | null = null;
  try {
    if (!statSync(dir).isDirectory()) problem = 'not a directory';
  } catch {
    problem = 'no such directory';
  }
  if (problem) {
    const given = options.repo === undefined ? ' (the default: $FLUXOS_PATH or ~/zelflux)' : '';
    throw usage(`Expected \`--repo\` to be the FluxOS checkout directory${given}, got ${shownPath(dir)} (${problem}).`);
  }
  return dir;
}

function usage(message: string): PreprodError {
  return new PreprodError('usage', message);
}

function shown(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** A strict whole-number option parser: "12abc", "1e3", "" and out-of-range values are usage errors. */
export function wholeNumber(name: string, min: number, max: number) {
  return (raw: string): number => {
    const value = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw usage(`Expected \`${name}\` to be a whole number from ${min} to ${max}, got ${shown(raw)}.`);
    }
    return value;
  };
}

function fraction(name: string) {
  return (raw: string): number => {
    const value = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= 0 && value <= 1)) throw usage(`Expected \`${name}\` to be a number from 0 to 1, got ${shown(raw)}.`);
    return value;
  };
}

function positiveNumber(name: string, min: number, max: number) {
  return (raw: string): number => {
    const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= min && value <= max)) throw usage(`Expected \`${name}\` to be a number from ${min} to ${max}, got ${shown(raw)}.`);
    return value;
  };
}

/** A store that answers every call with the error that opening it gave, so boot reports store-unavailable. */
function unavailableStore(error: unknown, description: string): StateStore {
  const fail = async (): Promise<never> => {
    throw error;
  };
  return { description, get: fail, set: fail, delete: fail, close: async () => undefined };
}

async function openStoreOrReport(url: string, logger: Logger): Promise<StateStore> {
  try {
    return await openStore(url);
  } catch (error) {
    if (error instanceof PreprodError && error.kind === 'usage') throw error;
    logger.warn(describeError(error));
    return unavailableStore(error, url);
  }
}

function loadSettings(options: ReadOptions): Settings {
  return readSettings({ configFile: options.config });
}

function userconfigPath(options: ReadOptions, repo: string): string {
  const file = path.resolve(options.userconfig ?? path.join(repo, 'config', 'userconfig.js'));
  readUserFlags(file); // a broken file is bad input: exit 2 here, before anything runs
  return file;
}

/** Exit code of a boot or status result: 1 when something outside the node failed, else 0. */
export function exitCodeFor(result: BootResult): number {
  if (result.reason === 'config-invalid') return 2;
  return result.reason === 'store-unavailable' || result.reason === 'fetch-failed' ? 1 : 0;
}

function addReadOptions(command: Command): Command {
  return command
    .option('--repo <dir>', 'the FluxOS checkout (default: $FLUXOS_PATH or ~/zelflux)')
    .option('--store <url>', `state store: mongodb://host:port[/db] or file:PATH (default: ${DEFAULT_STORE_URL})`)
    .option('--config <file>', 'JSON deep-merged over the defaults, e.g. {"preProd":{"probability":0.1}}')
    .option('--userconfig <file>', "the operator's userconfig.js (default: <repo>/config/userconfig.js)")
    .option('--verbose', 'log debug lines to stderr');
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const print = (text: string): void => void io.stdout.write(text);
  const printJson = (value: unknown): void => print(`${JSON.stringify(value, null, 2)}\n`);
  const loggerFor = (options: { json?: boolean; verbose?: boolean }): Logger => createCliLogger(options.verbose ? 'debug' : 'info');

  const program = new Command('fluxos-preprod')
    .description('Puts a share of FluxOS nodes on the preprod branch first, safely, and counts them.')
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      // commander's own errors ("error: unknown option '--x'") take the same one-sentence form as ours.
      outputError: (s, write) => write(`fluxos-preprod: ${commanderSentence(s)}\n`),
    })
    .exitOverride();
  program.version(readPackageVersion(), '--version');

  const restartOption = new Option('--restart <strategy>', 'how to restart FluxOS onto new code')
    .choices(['none', 'nodemon', 'exit', 'auto'])
    .default('none');

  const bootLike = async (options: ReadOptions & { restart?: RestartStrategy }) => {
    const storeUrl = options.store ?? DEFAULT_STORE_URL;
    storeKind(storeUrl); // usage errors first, before anything is read
    const settings = loadSettings(options);
    const repo = repoDir(options);
    const userconfig = userconfigPath(options, repo);
    const logger = loggerFor(options);
    const store = await openStoreOrReport(storeUrl, logger);
    const service = createPreprodService({
      repoDir: repo,
      store,
      settings,
      userconfig,
      logger,
      restart: options.restart ?? 'none',
      armHealthyTimer: false,
      exit: () => undefined, // the CLI is not FluxOS: report the restart, never exit for it
    });
    return { service, store };
  };

  // boot and status share options, output and exit codes; only the call differs.
  const bootOrStatus = (name: 'boot' | 'status', description: string) => {
    const command = addReadOptions(program.command(name).description(description));
    if (name === 'boot') command.addOption(restartOption);
    return command.option('--json', 'print one JSON object').action(async (options: ReadOptions & { restart?: RestartStrategy }) => {
      const { service, store } = await bootLike(options);
      try {
        const result = name === 'boot' ? await service.runAtBoot() : await service.status();
        if (options.json) printJson(result);
        else print(formatBootResult(result, name));
        setExit(exitCodeFor(result));
      } finally {
        await store.close();
      }
    });
  };
  bootOrStatus('boot', 'Run the boot step now: decide, switch the checkout, restart if asked.');
  bootOrStatus('status', 'Say whether this node is preprod, why, and until when. Never writes.');

  program
    .command('healthy')
    .description('Mark this boot healthy: clears the crash-loop count of a preprod node.')
    .option('--repo <dir>', 'the FluxOS checkout (default: $FLUXOS_PATH or ~/zelflux)')
    .option('--store <url>', `state store (default: ${DEFAULT_STORE_URL})`)
    .action(async (options: ReadOptions) => {
      const store = await openStore(options.store ?? DEFAULT_STORE_URL);
      try {
        // markHealthy() never throws (FluxOS calls it); here a store that cannot be read is an operational failure (exit 1), not "nothing to clear".
        await store.get(BOOT_HEALTH_KEY);
        const service = createPreprodService({ repoDir: repoDir(options), store, logger: loggerFor(options), armHealthyTimer: false });
        const cleared = await service.markHealthy();
        print(cleared ? 'marked healthy: the crash-loop count is cleared\n' : 'nothing to clear: no unhealthy preprod boots are counted\n');
      } finally {
        await store.close();
      }
    });

  addReadOptions(program.command('serve').description('Boot, then answer GET /flux/info until SIGINT/SIGTERM.'))
    .addOption(restartOption)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', wholeNumber('--port', 0, 65535), 16127)
    .action(async (options: ReadOptions & { restart: RestartStrategy; host: string; port: number }) => {
      const { service, store } = await bootLike(options);
      const stop = waitForSignal(); // before anything is printed: see runDemo
      const result = await service.runAtBoot();
      await store.close();
      const server = await startFluxInfoServer({ host: options.host, port: options.port, info: service.fluxInfo, version: repoVersion(options.repo) });
      io.stderr.write(`${result.message}\n`);
      print(`serving ${server.url}\n`);
      await stop;
      await server.close();
      exitWhenDone = true;
      setExit(0);
    });

  const fleetCommand = program
    .command('fleet')
    .description("Fetch /flux/info from many nodes and count the preprod fleet.")
    .argument('[target...]', 'host[:port] of nodes (default port 16127)')
    .option('--targets <file>', 'a file of host[:port] lines, or the JSON node list with `ip` fields')
    .option('--concurrency <n>', 'requests in flight', wholeNumber('--concurrency', 1, 10000), 256)
    .option('--timeout <ms>', 'deadline per node, connect and whole body', wholeNumber('--timeout', 1, 600000), 5000)
    .option('--config <file>', 'settings file; its probability is the one compared against')
    .option('--json', 'print one JSON object')
    .option('--prom', 'print Prometheus text exposition');
  // `fleet watch --record …` is watch's own option, not fleet's: options belong to the command they follow.
  program.enablePositionalOptions();
  fleetCommand.enablePositionalOptions();
  addWatchCommand(fleetCommand, { ...io, waitForSignal }, setExit, wholeNumber);
  addRecordOptions(fleetCommand)
    .action(async (args: string[], options: { targets?: string; concurrency: number; timeout: number; config?: string; json?: boolean; prom?: boolean } & RecordOptions) => {
      if (options.json && options.prom) throw usage('Give --json or --prom, not both.');
      const settings = readSettings({ configFile: options.config });
      const targets: Target[] = args.map((arg) => parseTargetArg(arg));
      if (options.targets) {
        let text: string;
        try {
          text = readFileSync(options.targets, 'utf8');
        } catch (error) {
          throw usage(`Cannot read the targets file ${options.targets}: ${describeError(error)}.`);
        }
        const parsed = parseTargets(text);
        for (const problem of parsed.problems) io.stderr.write(`${options.targets}:${problem.line}: ${problem.message}\n`);
        targets.push(...parsed.targets);
      }
      const unique = uniqueTargets(targets);
      if (unique.length === 0) throw usage('Expected at least one target (arguments or --targets FILE), got none.');
      const recorder = await prepareRecord(options, io.stderr);
      const summary = await runFleet({
        onNode: recorder?.collect,
        targets: unique,
        concurrency: options.concurrency,
        timeoutMs: options.timeout,
        probability: settings.preProd.probability,
        progressStream: io.stderr as NodeJS.WriteStream,
      });
      print(options.json ? formatJson(summary) : options.prom ? formatPrometheus(summary) : formatTable(summary));
      setExit(recorder ? await recorder.finish() : 0);
    });

  addGateCommand(program, io, setExit);

  const simulateCommand = program
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
  addReleaseOptions(simulateCommand, { whole: wholeNumber, fraction })
    .action(async (options: { nodes?: number; months?: number; probability: number; seed?: number; restartDays: number; optOut: number; json?: boolean } & ReleaseSimulationCliOptions) => {
      if (options.releases) return setExit(await runReleaseSimulation(options, io));
      for (const name of ['nodes', 'months'] as const) {
        if (options[name] === undefined) throw usage(`Required option '--${name} <${name === 'nodes' ? 'n' : 'm'}>' not specified.`);
      }
      const report = simulate({
        nodes: options.nodes as number,
        months: options.months as number,
        probability: options.probability,
        seed: options.seed,
        meanRestartDays: options.restartDays,
        optOutShare: options.optOut,
      });
      if (options.json) printJson(report);
      else print(formatSimulation(report));
      setExit(0);
    });

  program
    .command('tracked-version')
    .description('The package.json version at the remote tip of the branch this node tracks (for the watchdog).')
    .option('--repo <dir>', 'the FluxOS checkout (default: $FLUXOS_PATH or ~/zelflux)')
    .option('--config <file>', 'JSON deep-merged over the defaults')
    .option('--json', 'print one JSON object')
    .action(async (options: ReadOptions) => {
      const settings = loadSettings(options);
      const repo = openRepository(repoDir(options));
      const tracked = await repo.trackedVersion(settings.preProd);
      if (options.json) printJson(tracked);
      else print(`${tracked.version}\n`);
      setExit(0);
    });

  program
    .command('demo')
    .description('A throw-away local fleet: boots N nodes for real, serves their /flux/info, scans them. What `npm start` runs.')
    .option('--nodes <n>', 'nodes in the local fleet', wholeNumber('--nodes', 1, 500), 50)
    .option('--store <url>', 'file (default, one file per node) or mongodb://host:port (one database per node)')
    .option('--probability <p>', 'probability of the demo fleet', fraction('--probability'), 0.07)
    .option('--keep', 'keep the temp files on exit')
    .addOption(new Option('--release [kind]', 'play a release and watch the gate judge it').choices(['good', 'bad']))
    .action(async (options: DemoCliOptions, command: Command) => {
      const release = options.release === true ? 'good' : options.release;
      // A release needs a few preprod nodes to judge: probability 0.5 unless --probability was given.
      const given = command.getOptionValueSource('probability') !== 'default';
      const probability = release !== undefined && !given ? 0.5 : options.probability;
      const streams = { stdout: io.stdout, stderr: io.stderr, waitForStop: waitForSignal };
      await runDemo({ ...options, release, probability, ...streams });
      exitWhenDone = true;
      setExit(0);
    });

  return program;
}

/** "error: unknown option '--jsn'\n(Did you mean --json?)" → "Unknown option '--jsn' (did you mean --json?)." */
export function commanderSentence(text: string): string {
  const lines = text.replace(/^error:\s*/i, '').split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const joined = lines.map((line, i) => (i > 0 && line.startsWith('(') ? line.charAt(0) + line.charAt(1).toLowerCase() + line.slice(2) : line)).join(' ');
  // An unknown option is echoed whole: a 100 KB argument must not become a 100 KB error.
  const sentence = escapeText(joined.charAt(0).toUpperCase() + joined.slice(1), 300);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

function readPackageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** FluxOS's version as /flux/info reports it: the checkout's package.json. */
function repoVersion(repo: string | undefined): string | null {
  try {
    const file = path.join(path.resolve(repo ?? defaultRepo()), 'package.json');
    const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
    return typeof version === 'string' ? version.slice(0, 64) : null;
  } catch {
    return null;
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM. The handlers stay installed: a
 * second signal during shutdown (Ctrl-C pressed twice, or npm forwarding the
 * signal the process group already got) must not kill the process half-way
 * through its cleanup.
 */
/**
 * Set by the long-running commands (serve, demo) once they have cleaned up.
 * Leaving through process.exit() then, rather than letting the event loop
 * drain, shrinks the window in which node has already closed its signal
 * watchers (putting SIGINT/SIGTERM back to their default, fatal action) but
 * not yet exited, so a second Ctrl-C during shutdown does not turn a clean
 * exit 0 into death by signal.
 */
let exitWhenDone = false;

export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | null = null;
    const done = (signal: NodeJS.Signals) => {
      if (first !== null) return;
      first = signal;
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/** Runs the CLI; resolves with the exit code. Never throws. */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; commander already printed its one line otherwise.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    const message = error instanceof PreprodError ? error.message : `Unexpected error: ${describeError(error)}`;
    io.stderr.write(`fluxos-preprod: ${message}\n`);
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
