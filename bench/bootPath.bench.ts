/**
 * Boot-path bench: the no-switch boot (store read + branch check) is what
 * every node pays at every FluxOS start (docs/design.md §4: already on the
 * target branch, no network). Targets: at most one git process per boot and,
 * against a file store, a median under 50 ms on this machine. Prints both.
 *
 * Two nodes on a local git bed, each with a FileStateStore holding a cohort
 * record that stands (no re-draw):
 * - master: probability 0.07, draw 0.5, not selected. A boot reads the store,
 *   reads HEAD, finds the node on its branch and writes nothing.
 * - preprod: draw 0.03, selected, already on preprod. A boot also writes the
 *   crash-loop counter (an atomic, fsynced file write). Between boots the
 *   node is marked healthy (not timed), as a healthy node would be.
 *
 * Each boot is timed from createTestService() to runAtBoot() resolving,
 * with a fresh service, store object and repository, as at a real boot (the
 * modules are already loaded: this is the in-process cost FluxOS pays, not
 * node's start-up). Git processes are counted with the repository's
 * onGitSpawn hook.
 *
 * Usage: node build/bench/bootPath.bench.js [--runs 50] [--strict]
 */
import * as path from 'node:path';
import { type BootResult } from '../src/boot/service';
import { createTestService } from '../src/testing';
import { openRepository } from '../src/checkout/repository';
import { FileStateStore } from '../src/state';
import { createGitBed, type GitBed } from '../test/support/gitBed';
import { countGitSpawns } from './support/spawnCounter';
import { parseBenchArgs, printTargets, runBench, type BenchResult, type BenchTarget } from './support/report';
import { round, summarize, type Summary } from './support/stats';

const TARGET_MEDIAN_MS = 50;
const TARGET_GIT_PROCESSES = 1;
const WARMUP_BOOTS = 3;
const DEADLINE_MS = 120_000;

interface PathFigures {
  label: string;
  boots: number;
  ms: Summary;
  /** Git processes per boot: the most seen in any timed boot. */
  gitPerBootMax: number;
  gitPerBootMean: number;
  /** The distinct git command lines seen, e.g. "rev-parse HEAD --symbolic-full-name HEAD". */
  gitCommands: string[];
  /** Git processes per boot seen by wrapping child_process.spawn (a check on the hook): the most in any timed boot. */
  spawnedPerBootMax: number;
  reason: string;
  firstBootMs: number;
}

interface Case {
  label: string;
  branch: 'master' | 'preprod';
  /** The draw stored by the first (untimed) boot. */
  draw: number;
  expectReason: string;
  markHealthy: boolean;
}

type SpawnCounter = ReturnType<typeof countGitSpawns>;

async function measurePath(bed: GitBed, c: Case, runs: number, spawns: SpawnCounter): Promise<PathFigures> {
  const checkout = await bed.cloneNode(`node-${c.branch}`, { branch: c.branch });
  const storeFile = path.join(bed.dir, `state-${c.branch}.json`);
  const settings = {
    preProd: {
      remote: bed.upstream,
      probability: 0.07,
      restart: 'none',
      fetchTimeoutMs: 3000,
      installCommand: ['true'],
    },
  };

  let drawAllowed = true;
  const boot = async (): Promise<{
    ms: number;
    git: string[];
    spawned: string[];
    result: BootResult;
    healthy: () => Promise<boolean>;
  }> => {
    const git: string[] = [];
    spawns.take();
    const started = performance.now();
    const service = createTestService({
      repoDir: checkout,
      store: new FileStateStore(storeFile),
      settings,
      armHealthyTimer: false,
      random: () => {
        if (!drawAllowed) throw new Error('a boot with a standing cohort record drew anew');
        return c.draw;
      },
      repository: openRepository(checkout, { onGitSpawn: (args) => git.push(args.join(' ')) }),
    });
    const result = await service.runAtBoot();
    const ms = performance.now() - started;
    return { ms, git, spawned: spawns.take(), result, healthy: () => service.markHealthy() };
  };

  // The first boot draws and stores the record; it is reported, not counted.
  const first = await boot();
  if (first.result.branch.switched || first.result.branch.after !== c.branch) {
    throw new Error(`The ${c.label} node moved on its first boot: ${first.result.message}`);
  }
  if (c.markHealthy) await first.healthy();
  drawAllowed = false;

  const times: number[] = [];
  const gitCounts: number[] = [];
  const spawnedCounts: number[] = [];
  const commands = new Set<string>();
  let reason = '';
  for (let i = 0; i < WARMUP_BOOTS + runs; i += 1) {
    const run = await boot();
    const r = run.result;
    if (r.branch.switched || r.branch.after !== c.branch || r.reason !== c.expectReason || r.cohort?.rolled !== false) {
      throw new Error(`The ${c.label} boot was not a no-switch boot: ${r.reason}, ${r.message}`);
    }
    reason = r.reason;
    if (c.markHealthy && !(await run.healthy())) {
      throw new Error(`The ${c.label} boot wrote no crash-loop counter to clear: ${r.message}`);
    }
    if (i < WARMUP_BOOTS) continue;
    times.push(run.ms);
    gitCounts.push(run.git.length);
    spawnedCounts.push(run.spawned.length);
    run.git.forEach((cmd) => commands.add(cmd));
  }
  return {
    label: c.label,
    boots: runs,
    ms: summarize(times),
    gitPerBootMax: Math.max(...gitCounts),
    gitPerBootMean: round(gitCounts.reduce((a, b) => a + b, 0) / gitCounts.length, 2),
    gitCommands: [...commands],
    spawnedPerBootMax: Math.max(...spawnedCounts),
    reason,
    firstBootMs: round(first.ms, 2),
  };
}

async function main(): Promise<{ result: BenchResult; strict: boolean }> {
  const args = parseBenchArgs(process.argv.slice(2), { runs: 50 });
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(
    `bootPath: ${args.runs} timed no-switch boots per branch (after ${WARMUP_BOOTS} warm-up boots), ` +
      'FileStateStore, local git bed',
  );

  const bed = await createGitBed();
  const spawns = countGitSpawns();
  try {
    const cases: Case[] = [
      {
        label: 'master (not selected, no write)',
        branch: 'master',
        draw: 0.5,
        expectReason: 'not-selected',
        markHealthy: false,
      },
      {
        label: 'preprod (selected, counter write)',
        branch: 'preprod',
        draw: 0.03,
        expectReason: 'selected',
        markHealthy: true,
      },
    ];
    const paths: PathFigures[] = [];
    for (const c of cases) {
      const figures = await measurePath(bed, c, args.runs, spawns);
      paths.push(figures);
      out(
        `${figures.label.padEnd(34)} median ${figures.ms.median} ms  p90 ${figures.ms.p90} ms  ` +
          `min ${figures.ms.min}  max ${figures.ms.max}  ` +
          `git processes/boot ${figures.gitPerBootMax} (spawn wrapper: ${figures.spawnedPerBootMax}) ` +
          `(${figures.gitCommands.map((cmd) => `git ${cmd}`).join('; ')})  first boot ${figures.firstBootMs} ms`,
      );
    }

    const targets: BenchTarget[] = paths.flatMap((p) => {
      const branch = p.label.split(' ')[0];
      return [
        {
          label: `${branch}: no-switch boot median < ${TARGET_MEDIAN_MS} ms (file store)`,
          measured: `${p.ms.median} ms`,
          pass: p.ms.median < TARGET_MEDIAN_MS,
        },
        {
          label: `${branch}: at most ${TARGET_GIT_PROCESSES} git process per boot`,
          measured: `${p.gitPerBootMax} (onGitSpawn), ${p.spawnedPerBootMax} (spawn wrapper)`,
          pass: Math.max(p.gitPerBootMax, p.spawnedPerBootMax) <= TARGET_GIT_PROCESSES,
        },
      ];
    });
    out('');
    printTargets(targets);

    const [master, preprod] = paths;
    return {
      strict: args.strict,
      result: {
        bench: 'bootPath',
        headline:
          `master ${master.ms.median} ms median (p90 ${master.ms.p90}), ${master.gitPerBootMax} git/boot; ` +
          `preprod ${preprod.ms.median} ms median (p90 ${preprod.ms.p90}), ${preprod.gitPerBootMax} git/boot`,
        figures: { runs: args.runs, warmup: WARMUP_BOOTS, master, preprod },
        targets,
      },
    };
  } finally {
    spawns.uninstall();
    await bed.cleanup();
  }
}

if (require.main === module) runBench('bootPath', DEADLINE_MS, main);
