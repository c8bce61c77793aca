/**
 * `tracked-version` wall time, CLI start included: what an external caller (an operator, or a watchdog that
 * asks the installed binary) waits for. Each run spawns `node build/src/cli.js tracked-version --repo NODE
 * --json`, which starts the CLI, fetches the tracked branch from a local upstream (a git bed: no network)
 * and reads package.json at its tip; timed from spawn to exit. Measured on a preprod node and a master
 * node, next to `node -e 0` (node's own start) and `fluxos-preprod --version` (the CLI's start alone).
 *
 * Target: the median well inside the Flux watchdog's 7 s timeout for its version check: under a quarter
 * of it here, on a shared machine (a fetch from GitHub adds the network, bounded by preProd.fetchTimeoutMs).
 *
 * Usage: node build/bench/trackedVersion.bench.js [--runs 15] [--strict]
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { writeSettingsFile } from '../test/support/cli';
import { createGitBed, type GitBed } from '../test/support/gitBed';
import { parseBenchArgs, printTargets, runBench, type BenchResult, type BenchTarget } from './support/report';
import { summarize, type Summary } from './support/stats';

const CLI = path.resolve(__dirname, '../src/cli.js');
const WATCHDOG_TIMEOUT_MS = 7000;
const TARGET_MEDIAN_MS = WATCHDOG_TIMEOUT_MS / 4;
const DEADLINE_MS = 300_000;

/** Spawns node with `args` and resolves with the wall time in ms; rejects on a non-zero exit. */
function timed(args: string[]): Promise<{ ms: number; stdout: string }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (error) reject(new Error(`node ${args.join(' ')} failed: ${String(stderr).trim() || error.message}`));
      else resolve({ ms, stdout: String(stdout) });
    });
  });
}

type Check = (stdout: string) => void;

async function sample(runs: number, args: string[], check: Check = () => undefined): Promise<Summary> {
  await timed(args); // warm the file cache; not counted
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const { ms, stdout } = await timed(args);
    check(stdout);
    times.push(ms);
  }
  return summarize(times, 1);
}

async function main(): Promise<{ result: BenchResult; strict: boolean }> {
  const args = parseBenchArgs(process.argv.slice(2), { runs: 15 });
  let bed: GitBed | null = null;
  try {
    bed = await createGitBed();
    const settings = await writeSettingsFile(bed.dir, 'settings.json', { remote: bed.upstream });
    const nodes = {
      preprod: await bed.cloneNode('preprod', { branch: 'preprod' }),
      master: await bed.cloneNode('master'),
    };
    const expectVersion =
      (version: string): Check =>
      (stdout) => {
        const seen = (JSON.parse(stdout) as { version: string }).version;
        if (seen !== version) throw new Error(`tracked-version answered ${seen}, expected ${version}.`);
      };
    const command = (dir: string) => [CLI, 'tracked-version', '--repo', dir, '--config', settings, '--json'];
    const nodeStart = await sample(args.runs, ['-e', '0']);
    const cliStart = await sample(args.runs, [CLI, '--version']);
    const preprod = await sample(args.runs, command(nodes.preprod), expectVersion('1.1.0'));
    const master = await sample(args.runs, command(nodes.master), expectVersion('1.0.0'));

    process.stdout.write(`node -e 0                 median ${nodeStart.median} ms (p90 ${nodeStart.p90})\n`);
    process.stdout.write(`fluxos-preprod --version  median ${cliStart.median} ms (p90 ${cliStart.p90})\n`);
    process.stdout.write(`tracked-version, preprod  median ${preprod.median} ms (p90 ${preprod.p90})\n`);
    process.stdout.write(`tracked-version, master   median ${master.median} ms (p90 ${master.p90})\n`);
    const worst = Math.max(preprod.median, master.median);
    const cliOverhead = Math.round((cliStart.median - nodeStart.median) * 10) / 10;
    process.stdout.write(`CLI start over node's own: ${cliOverhead} ms\n`);
    const targets: BenchTarget[] = [
      {
        label: `tracked-version median (CLI start + local fetch) < ${TARGET_MEDIAN_MS} ms, watchdog's timeout 7 s`,
        measured: `${worst} ms (preprod ${preprod.median}, master ${master.median}; node alone ${nodeStart.median})`,
        pass: worst < TARGET_MEDIAN_MS,
      },
    ];
    printTargets(targets);
    return {
      strict: args.strict,
      result: {
        bench: 'trackedVersion',
        headline:
          `tracked-version median ${worst} ms (CLI start ${cliStart.median} ms = node ${nodeStart.median} ms ` +
          `+ ${cliOverhead} ms), watchdog timeout ${WATCHDOG_TIMEOUT_MS} ms`,
        figures: { runs: args.runs, nodeStart, cliStart, cliOverhead, preprod, master, watchdogMs: 7000 },
        targets,
      },
    };
  } finally {
    await bed?.cleanup();
  }
}

runBench('trackedVersion', DEADLINE_MS, main);
