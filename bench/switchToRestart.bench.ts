/**
 * Switch-to-restart bench (docs/design.md §5): the time from the switch decision to the
 * point where a restart is triggered, against the seed's fixed 20 s of sleeps
 * (sleep 10 s, touch a file, sleep 10 s).
 *
 * Each run: a fresh node checkout on master (cloned from a local bare
 * upstream, not timed), an empty file store, probability 1, so the boot
 * draws, decides preprod, fetches, switches, runs the install command (the
 * bed's preprod changes package.json; the command is `true` here, so npm's
 * own time, which the seed's start script pays too, is left out) and
 * triggers the restart.
 *
 * - The decision instant is when decide() consults the random source: with no
 *   stored record it draws, inside decide(), right before the switch plan.
 * - The restart instant: `exit` strategy — when the injected exit() is called
 *   (what would end the process); `nodemon` — when the logger says app.js was
 *   touched (right after the utimes call that nodemon reacts to).
 * Also printed: runAtBoot() start to restart, which adds the store read and
 * HEAD read before the decision.
 *
 * Usage: node build/bench/switchToRestart.bench.js [--runs 8] [--strict]
 */
import * as path from 'node:path';
import type { Logger } from '../src/logger';
import { createPreprodService } from '../src/boot/service';
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
}

const PHASES = ['findRemote', 'lsRemoteAndFetch', 'tipsAndDiff', 'checkoutCleanInstallRestart'] as const;
type Phase = (typeof PHASES)[number];
const PHASE_LABELS: Record<Phase, string> = {
  findRemote: 'decision → ls-remote (remote lookup)',
  lsRemoteAndFetch: 'ls-remote + fetch',
  tipsAndDiff: 'tips, merge-base, diff, upstream config',
  checkoutCleanInstallRestart: 'checkout + clean + install + restart trigger',
};

interface Spawned {
  at: number;
  args: readonly string[];
}

/** Cuts decision → restart at the start of ls-remote, of the command after fetch, and of checkout. */
function phases(git: readonly Spawned[], decisionAt: number, restartAt: number): Record<Phase, number> {
  const start = (pred: (s: Spawned, i: number) => boolean): number => {
    const found = git.find(pred);
    if (!found) throw new Error(`Expected the switch to run ls-remote, fetch and checkout, got: ${git.map((g) => g.args[0]).join(', ')}.`);
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
}

async function oneRun(bed: GitBed, strategy: Strategy, index: number): Promise<RunFigures> {
  const checkout = await bed.cloneNode(`${strategy}-${index}`);
  const storeFile = path.join(bed.dir, `state-${strategy}-${index}.json`);
  const git: Spawned[] = [];
  let decisionAt: number | null = null;
  let restartAt: number | null = null;
  let signalRestart: () => void = () => undefined;
  const restarted = new Promise<void>((resolve) => (signalRestart = resolve));

  const lines: string[] = [];
  const record = (line: string): void => void lines.push(line);
  const logger: Logger = {
    error: record,
    warn: record,
    debug: () => undefined,
    info: (line) => {
      if (strategy === 'nodemon' && restartAt === null && /touched app\.js/.test(line)) {
        restartAt = performance.now();
        signalRestart();
      }
      record(line);
    },
  };

  const service = createPreprodService({
    repoDir: checkout,
    store: new FileStateStore(storeFile),
    settings: { preProd: { remote: bed.upstream, probability: 1, restart: strategy, fetchTimeoutMs: 5000, installCommand: ['true'] } },
    restart: strategy,
    armHealthyTimer: false,
    logger,
    random: () => {
      decisionAt ??= performance.now();
      return 0.5;
    },
    exit: () => {
      if (restartAt === null) restartAt = performance.now();
      signalRestart();
    },
    repository: openRepository(checkout, { onGitSpawn: (args) => git.push({ at: performance.now(), args }) }),
  });

  const bootStart = performance.now();
  const result = await service.runAtBoot();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([restarted, new Promise<void>((resolve) => (timer = setTimeout(resolve, RESTART_WAIT_MS)))]);
  clearTimeout(timer);

  if (!result.branch.switched || result.branch.after !== 'preprod' || result.restart !== strategy) {
    throw new Error(`The ${strategy} boot did not switch to preprod with a restart: ${result.reason}, ${result.message}`);
  }
  if (decisionAt === null) throw new Error('The boot never consulted the random source: no decision instant.');
  if (restartAt === null) throw new Error(`No ${strategy} restart was triggered within ${RESTART_WAIT_MS} ms; log: ${lines.join(' | ')}`);
  return {
    decisionToRestart: restartAt - decisionAt,
    bootToRestart: restartAt - bootStart,
    git,
    phases: phases(git, decisionAt, restartAt),
  };
}

async function measure(bed: GitBed, strategy: Strategy, runs: number): Promise<StrategyFigures> {
  const decision: number[] = [];
  const boot: number[] = [];
  const commands = new Set<string>();
  const phaseSamples: Record<Phase, number[]> = { findRemote: [], lsRemoteAndFetch: [], tipsAndDiff: [], checkoutCleanInstallRestart: [] };
  let gitPerBoot = 0;
  for (let i = 0; i < WARMUP_RUNS + runs; i += 1) {
    const run = await oneRun(bed, strategy, i);
    if (i < WARMUP_RUNS) continue;
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
  };
}

async function main(): Promise<{ result: BenchResult; strict: boolean }> {
  const args = parseBenchArgs(process.argv.slice(2), { runs: 8 });
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`switchToRestart: ${args.runs} switches master → preprod per strategy (after ${WARMUP_RUNS} warm-up), local bare upstream, install command \`true\``);

  const bed = await createGitBed();
  try {
    const figures: StrategyFigures[] = [];
    for (const strategy of ['exit', 'nodemon'] as const) {
      const f = await measure(bed, strategy, args.runs);
      figures.push(f);
      out(
        `${strategy.padEnd(8)} decision → restart: median ${f.decisionToRestartMs.median} ms, max ${f.decisionToRestartMs.max} ms;  ` +
          `runAtBoot start → restart: median ${f.bootToRestartMs.median} ms, max ${f.bootToRestartMs.max} ms;  ` +
          `${f.gitPerBoot} git processes (${f.gitCommands.join(', ')})`,
      );
      out(`         of which (medians): ${PHASES.map((p) => `${PHASE_LABELS[p]} ${f.phasesMs[p]} ms`).join('; ')}`);
    }
    out(`seed     decision → restart: ${SEED_SLEEPS_MS} ms of fixed sleeps alone (10 s sleep, touch, 10 s sleep), plus its git work`);
    out('');
    const targets: BenchTarget[] = figures.map((f) => ({
      label: `${f.strategy}: decision → restart below the seed's ${SEED_SLEEPS_MS} ms of sleeps`,
      measured: `${f.decisionToRestartMs.median} ms median, ${round(SEED_SLEEPS_MS / f.decisionToRestartMs.median, 0)}x faster`,
      pass: f.decisionToRestartMs.max < SEED_SLEEPS_MS,
    }));
    printTargets(targets);

    const [exit, nodemon] = figures;
    return {
      strict: args.strict,
      result: {
        bench: 'switchToRestart',
        headline:
          `decision → restart: exit ${exit.decisionToRestartMs.median} ms, nodemon ${nodemon.decisionToRestartMs.median} ms median ` +
          `(seed: ${SEED_SLEEPS_MS} ms of sleeps alone, ${round(SEED_SLEEPS_MS / Math.max(exit.decisionToRestartMs.median, nodemon.decisionToRestartMs.median), 0)}x+)`,
        figures: { seedSleepsMs: SEED_SLEEPS_MS, runs: args.runs, warmup: WARMUP_RUNS, exit, nodemon },
        targets,
      },
    };
  } finally {
    await bed.cleanup();
  }
}

if (require.main === module) runBench('switchToRestart', DEADLINE_MS, main);
