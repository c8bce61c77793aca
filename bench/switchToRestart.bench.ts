/**
 * Switch-to-restart bench (docs/design.md §5): the time from the switch
 * decision to the moment the restart is set off, against the seed's fixed
 * 20 s of sleeps (sleep 10 s, touch a file, sleep 10 s).
 *
 * Each run: a fresh node checkout on master (cloned from a local bare
 * upstream, not timed), an empty file store, probability 1, so the boot
 * draws, decides preprod, fetches, switches, installs when the switch needs
 * it (the bed's preprod changes package.json; the command is `true` here, so
 * npm's own time, which the seed's start script pays too, is left out) and
 * sets off the restart.
 *
 * - The decision instant is when decide() consults the random source: with no
 *   stored record it draws, inside decide(), right before the switch plan.
 * - The restart instant: `exit` — when the injected exit() is called (what
 *   would end the process); `nodemon` — the first change nodemon would see:
 *   an inotify event (fs.watch, as nodemon's watcher uses) on a file FluxOS's
 *   nodemon.json watches at the checkout's top level. The checkout itself
 *   writes them (package.json, app.js); the package touches app.js only when
 *   a switch changed none of them. nodemon then waits its own delay.
 * Also printed: runAtBoot() start to restart, which adds the store read and
 * HEAD read before the decision.
 *
 * Usage: node build/bench/switchToRestart.bench.js [--runs 8] [--strict]
 */
import { watch } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../src/logger';
import { createTestService } from '../src/testing';
import { openRepository } from '../src/checkout/repository';
import { FileStateStore } from '../src/state';
import { createGitBed, type GitBed } from '../test/support/gitBed';
import { parseBenchArgs, printTargets, runBench, type BenchResult, type BenchTarget } from './support/report';
import { median, round, summarize, type Summary } from './support/stats';

/** The seed's fixed sleeps between its switch and its restart: 10 s, touch, 10 s. */
const SEED_SLEEPS_MS = 20_000;
const WARMUP_RUNS = 1;
const RESTART_WAIT_MS = 10_000;
const DEADLINE_MS = 180_000;
const DETACHED_INSTALL_WAIT_MS = 15_000;

type Strategy = 'exit' | 'nodemon';

interface StrategyFigures {
  strategy: Strategy;
  runs: number;
  decisionToRestartMs: Summary;
  bootToRestartMs: Summary;
  /** Git processes per boot (max over runs), from the repository's onGitSpawn hook. */
  gitPerBoot: number;
  gitCommands: string[];
  /** Median ms of each stretch between decision and restart, cut at git process starts. */
  phasesMs: Record<Phase, number>;
  /** Runs where the package had to touch app.js (nodemon): the switch changed no watched file. */
  touchedRuns: number;
}

const PHASES = ['findRemote', 'lsRemoteAndFetch', 'tipsAndDiff', 'checkoutCleanInstallRestart'] as const;
type Phase = (typeof PHASES)[number];
const PHASE_LABELS: Record<Phase, string> = {
  findRemote: 'decision → ls-remote (remote lookup)',
  lsRemoteAndFetch: 'ls-remote + fetch',
  tipsAndDiff: 'tips, merge-base, diff, upstream config',
  checkoutCleanInstallRestart: 'checkout (+ install) until the restart is set off',
};

interface Spawned {
  at: number;
  args: readonly string[];
}

/** Cuts decision → restart at the start of ls-remote, of the command after fetch, and of checkout. */
function phases(git: readonly Spawned[], decisionAt: number, restartAt: number): Record<Phase, number> {
  const start = (pred: (s: Spawned, i: number) => boolean): number => {
    const found = git.find(pred);
    if (!found)
      throw new Error(
        `Expected the switch to run ls-remote, fetch and checkout, got: ${git.map((g) => g.args[0]).join(', ')}.`,
      );
    return found.at;
  };
  const lsRemote = start((s) => s.args[0] === 'ls-remote');
  const fetchIndex = git.findIndex((s) => s.args[0] === 'fetch');
  const afterFetch = start((_s, i) => fetchIndex !== -1 && i === fetchIndex + 1);
  const checkout = start((s) => s.args[0] === 'checkout');
  return {
    findRemote: lsRemote - decisionAt,
    lsRemoteAndFetch: afterFetch - lsRemote,
    tipsAndDiff: checkout - afterFetch,
    checkoutCleanInstallRestart: restartAt - checkout,
  };
}

interface RunFigures {
  decisionToRestart: number;
  bootToRestart: number;
  git: Spawned[];
  phases: Record<Phase, number>;
  /** Whether the package touched app.js (the switch changed no watched file), rather than the checkout. */
  touched: boolean;
}

/** Top-level entries of FluxOS's nodemon.json `watch` list: a change to one of them restarts FluxOS. */
const NODEMON_WATCHED = new Set([
  'package.json',
  'package-lock.json',
  'ZelBack',
  'app.js',
  'apiServer.js',
  'helpers',
  'lib',
]);

/** Resolves with performance.now() of the first change under `dir` to a name nodemon watches; close() stops it. */
function watchLikeNodemon(dir: string): { changed: Promise<number>; close(): void } {
  let resolveChanged: (at: number) => void = () => undefined;
  const changed = new Promise<number>((resolve) => (resolveChanged = resolve));
  const watcher = watch(dir, (_event, name) => {
    if (name !== null && NODEMON_WATCHED.has(String(name))) resolveChanged(performance.now());
  });
  return { changed, close: () => watcher.close() };
}

/** Waits (at most DETACHED_INSTALL_WAIT_MS) for the detached install to log its outcome. */
async function detachedInstallLogged(checkout: string): Promise<void> {
  const log = path.join(checkout, '.git', 'fluxos-preprod-install.log');
  const giveUpAt = performance.now() + DETACHED_INSTALL_WAIT_MS;
  while (performance.now() < giveUpAt) {
    if ((await readFile(log, 'utf8').catch(() => '')) !== '') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function oneRun(bed: GitBed, strategy: Strategy, index: number): Promise<RunFigures> {
  const checkout = await bed.cloneNode(`${strategy}-${index}`);
  const storeFile = path.join(bed.dir, `state-${strategy}-${index}.json`);
  const git: Spawned[] = [];
  let decisionAt: number | null = null;
  let exitedWith: number | null = null;
  let signalExit: (at: number) => void = () => undefined;
  const exitCalled = new Promise<number>((resolve) => (signalExit = resolve));
  const watcher = strategy === 'nodemon' ? watchLikeNodemon(checkout) : null;

  const lines: string[] = [];
  const record = (line: string): void => void lines.push(line);
  const logger: Logger = { error: record, warn: record, info: record, debug: () => undefined };

  const service = createTestService({
    repoDir: checkout,
    store: new FileStateStore(storeFile),
    settings: {
      preProd: {
        remote: bed.upstream,
        probability: 1,
        restart: strategy,
        fetchTimeoutMs: 5000,
        installCommand: ['true'],
      },
    },
    restart: strategy,
    armHealthyTimer: false,
    logger,
    random: () => {
      decisionAt ??= performance.now();
      return 0.5;
    },
    exit: (code: number) => {
      exitedWith ??= code;
      signalExit(performance.now());
    },
    repository: openRepository(checkout, { onGitSpawn: (args) => git.push({ at: performance.now(), args }) }),
  });

  const bootStart = performance.now();
  // Under `exit`, runAtBoot() may never resolve once it has called exit(): the process is meant to end there.
  const booted = service.runAtBoot();
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), RESTART_WAIT_MS)));
  const restartAt = await Promise.race([watcher ? watcher.changed : exitCalled, gaveUp]);
  clearTimeout(timer);
  watcher?.close();
  const log = () => lines.join(' | ');
  if (restartAt === null)
    throw new Error(`No ${strategy} restart was set off within ${RESTART_WAIT_MS} ms; log: ${log()}`);
  if (decisionAt === null) throw new Error('The boot never consulted the random source: no decision instant.');

  if (strategy === 'nodemon') {
    // Under nodemon, runAtBoot() resolves once the checkout is done.
    const result = await booted;
    if (!result.branch.switched || result.branch.after !== 'preprod' || result.restart !== 'nodemon') {
      throw new Error(`The nodemon boot did not switch to preprod with a restart: ${result.reason}, ${result.message}`);
    }
    // Not timed: let a detached install finish writing into .git/ before the bed is removed.
    if (lines.some((line) => /outside nodemon/.test(line))) await detachedInstallLogged(checkout);
  } else if (exitedWith !== 1) {
    throw new Error(`Expected the exit strategy to exit with code 1, got ${String(exitedWith)}; log: ${log()}`);
  }
  const branch = await bed.git(checkout, 'rev-parse', '--abbrev-ref', 'HEAD');
  if (branch !== 'preprod')
    throw new Error(`Expected the ${strategy} boot to switch to preprod, got ${branch}; log: ${log()}`);
  return {
    decisionToRestart: restartAt - decisionAt,
    bootToRestart: restartAt - bootStart,
    git,
    phases: phases(git, decisionAt, restartAt),
    touched: lines.some((line) => /touched app\.js/.test(line)),
  };
}

async function measure(bed: GitBed, strategy: Strategy, runs: number): Promise<StrategyFigures> {
  const decision: number[] = [];
  const boot: number[] = [];
  const commands = new Set<string>();
  const phaseSamples: Record<Phase, number[]> = {
    findRemote: [],
    lsRemoteAndFetch: [],
    tipsAndDiff: [],
    checkoutCleanInstallRestart: [],
  };
  let gitPerBoot = 0;
  let touchedRuns = 0;
  for (let i = 0; i < WARMUP_RUNS + runs; i += 1) {
    const run = await oneRun(bed, strategy, i);
    if (i < WARMUP_RUNS) continue;
    if (run.touched) touchedRuns += 1;
    decision.push(run.decisionToRestart);
    boot.push(run.bootToRestart);
    gitPerBoot = Math.max(gitPerBoot, run.git.length);
    run.git.forEach((spawned) => commands.add(spawned.args[0]));
    for (const phase of PHASES) phaseSamples[phase].push(run.phases[phase]);
  }
  return {
    strategy,
    runs,
    decisionToRestartMs: summarize(decision, 1),
    bootToRestartMs: summarize(boot, 1),
    gitPerBoot,
    gitCommands: [...commands],
    phasesMs: Object.fromEntries(PHASES.map((p) => [p, round(median(phaseSamples[p]), 1)])) as Record<Phase, number>,
    touchedRuns,
  };
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);

function printStrategy(f: StrategyFigures): void {
  const { decisionToRestartMs: decision, bootToRestartMs: boot } = f;
  out(
    `${f.strategy.padEnd(8)} decision → restart: median ${decision.median} ms, max ${decision.max} ms;  ` +
      `runAtBoot start → restart: median ${boot.median} ms, max ${boot.max} ms;  ` +
      `${f.gitPerBoot} git processes (${f.gitCommands.join(', ')})`,
  );
  out(`         of which (medians): ${PHASES.map((p) => `${PHASE_LABELS[p]} ${f.phasesMs[p]} ms`).join('; ')}`);
  if (f.strategy === 'nodemon') {
    const byCheckout = f.runs - f.touchedRuns;
    out(`         set off by the checkout's changes in ${byCheckout}/${f.runs} runs, by a touch in ${f.touchedRuns}`);
  }
}

function resultOf(figures: StrategyFigures[], strict: boolean): { result: BenchResult; strict: boolean } {
  const targets: BenchTarget[] = figures.map(({ strategy, decisionToRestartMs: ms }) => ({
    label: `${strategy}: decision → restart below the seed's ${SEED_SLEEPS_MS} ms of sleeps`,
    measured: `${ms.median} ms median, ${round(SEED_SLEEPS_MS / ms.median, 0)}x faster`,
    pass: ms.max < SEED_SLEEPS_MS,
  }));
  printTargets(targets);
  const [exit, nodemon] = figures;
  const slower = Math.max(exit.decisionToRestartMs.median, nodemon.decisionToRestartMs.median);
  const headline =
    `decision → restart: exit ${exit.decisionToRestartMs.median} ms, ` +
    `nodemon ${nodemon.decisionToRestartMs.median} ms ` +
    `median (seed: ${SEED_SLEEPS_MS} ms of sleeps alone, ${round(SEED_SLEEPS_MS / slower, 0)}x+)`;
  const figuresJson = { seedSleepsMs: SEED_SLEEPS_MS, runs: exit.runs, warmup: WARMUP_RUNS, exit, nodemon };
  return { strict, result: { bench: 'switchToRestart', headline, figures: figuresJson, targets } };
}

async function main(): Promise<{ result: BenchResult; strict: boolean }> {
  const args = parseBenchArgs(process.argv.slice(2), { runs: 8 });
  out(
    `switchToRestart: ${args.runs} switches master → preprod per strategy (after ${WARMUP_RUNS} warm-up), ` +
      'local bare upstream, install command `true`',
  );
  const bed = await createGitBed();
  try {
    const figures: StrategyFigures[] = [];
    for (const strategy of ['exit', 'nodemon'] as const) {
      const f = await measure(bed, strategy, args.runs);
      figures.push(f);
      printStrategy(f);
    }
    out(`seed     decision → restart: ${SEED_SLEEPS_MS} ms of fixed sleeps alone (10 s sleep, touch, 10 s sleep)`);
    out('');
    return resultOf(figures, args.strict);
  } finally {
    // A detached install that outlived its wait may still write into a checkout: retry the removal.
    await bed.cleanup().catch(() => rm(bed.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));
  }
}

if (require.main === module) runBench('switchToRestart', DEADLINE_MS, main);
