/**
 * `npm run bench`: runs every build/bench/*.bench.js as its own child process
 * (`node <file>`), one after the other so they never compete for the
 * machine's two cores, streams their output, and ends with a summary: one
 * line per bench with its headline figures, and one per target with PASS or
 * FAIL, as markdown tables that paste into the README.
 *
 * Our benches end with a `BENCH_RESULT <json>` line (bench/support/report.ts).
 * simulate prints one JSON object with `--json` instead; it is run with it
 * and its JSON is mapped to the same shape here.
 *
 * Usage: node build/bench/run.js [--only NAME[,NAME...]]... [--strict]
 * NAME is the file name without `.bench.js` (bootPath, fleetScan, fluxInfo,
 * healthBudget, healthJudge, historyBudget, realisticFleet, simulate, switchToRestart, trackedVersion).
 * Exit code: 1 when a bench fails to run or
 * gives no result; with --strict also when a target is missed; else 0.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { RESULT_PREFIX, mark, type BenchResult, type BenchTarget } from './support/report';

/** Longer than any bench's own deadline (fleetScan stops itself at 5 min). */
const BENCH_TIMEOUT_MS = 6 * 60_000;
const SUFFIX = '.bench.js';

interface Args {
  only: string[];
  strict: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { only: [], strict: false };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--strict') args.strict = true;
    else if (flag === '--only') {
      const value = argv[(i += 1)];
      if (value === undefined || value.startsWith('-')) {
        throw new Error(`Expected \`--only\` to be followed by a bench name, got ${String(value)}.`);
      }
      args.only.push(
        ...value
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== ''),
      );
    } else throw new Error(`Expected --only NAME or --strict, got ${flag}.`);
  }
  return args;
}

/** Benches that print their own JSON with --json rather than a BENCH_RESULT line. */
const JSON_ADAPTERS: Partial<Record<string, (json: Record<string, unknown>) => BenchResult>> = {
  simulate: (j) => ({
    bench: 'simulate',
    headline:
      `simulate 13000 nodes × 12 months: median ${j.medianMs} ms; ` +
      `decide() ${Number(j.decideOpsPerSec).toLocaleString('en-US')} ops/s`,
    figures: j,
    targets: [
      {
        label: 'simulate 13000 nodes × 12 months median < 2000 ms',
        measured: `${j.medianMs} ms`,
        pass: j.withinTarget === true,
      },
    ],
  }),
};

interface Outcome {
  name: string;
  result: BenchResult | null;
  /** Why there is no result, or the child's failure. */
  error: string | null;
  seconds: number;
}

function runOne(name: string, file: string): Promise<Outcome> {
  const adapter = JSON_ADAPTERS[name];
  const started = performance.now();
  return new Promise((resolve) => {
    // Own process group, so a timeout also takes down the bench's own children (servers).
    const argv = [file, ...(adapter ? ['--json'] : [])];
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let result: BenchResult | null = null;
    let parseError: string | null = null;
    let pending = '';
    const onLine = (line: string): void => {
      process.stdout.write(`${line}\n`);
      try {
        if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length)) as BenchResult;
        else if (adapter && line.startsWith('{')) result = adapter(JSON.parse(line) as Record<string, unknown>);
      } catch (error) {
        parseError = `its result line could not be read: ${error instanceof Error ? error.message : String(error)}`;
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) !== -1) {
        onLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, BENCH_TIMEOUT_MS);
    const finish = (error: string | null): void => {
      clearTimeout(timer);
      if (pending !== '') onLine(pending);
      const why = error ?? parseError ?? (result ? null : 'it printed no result');
      resolve({ name, result, error: why, seconds: (performance.now() - started) / 1000 });
    };
    child.on('error', (error) => finish(`it could not start: ${error.message}`));
    child.on('close', (code, signal) => {
      if (timedOut) finish(`it ran past ${BENCH_TIMEOUT_MS / 60_000} min and was stopped`);
      else if (code !== 0) finish(`it exited with ${signal ?? `code ${code}`}`);
      else finish(null);
    });
  });
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function printSummary(outcomes: Outcome[], seconds: number): void {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out('');
  const machine = `node ${process.version}, ${process.platform}/${process.arch}`;
  out(`## Benchmark summary (${outcomes.length} benches, ${Math.round(seconds)} s, ${machine})`);
  out('');
  out('| bench | headline figures | targets |');
  out('|---|---|---|');
  for (const o of outcomes) {
    if (!o.result) {
      out(`| ${o.name} | ERROR: ${cell(o.error ?? 'no result')} | — |`);
      continue;
    }
    const passed = o.result.targets.filter((t) => t.pass).length;
    const verdict = `${passed}/${o.result.targets.length} PASS${passed < o.result.targets.length ? ' (FAIL)' : ''}`;
    out(`| ${o.name} | ${cell(o.result.headline)} | ${verdict} |`);
  }
  out('');
  out('| bench | target | measured | result |');
  out('|---|---|---|---|');
  for (const o of outcomes) {
    for (const t of o.result?.targets ?? ([] as BenchTarget[])) {
      out(`| ${o.name} | ${cell(t.label)} | ${cell(t.measured)} | ${mark(t.pass)} |`);
    }
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const dir = __dirname;
  const available = readdirSync(dir)
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length))
    .sort();
  const unknown = args.only.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`Expected --only to name one of ${available.join(', ')}, got ${unknown.join(', ')}.\n`);
    return 2;
  }
  const selected = args.only.length > 0 ? available.filter((name) => args.only.includes(name)) : available;

  const started = performance.now();
  const outcomes: Outcome[] = [];
  for (const name of selected) {
    process.stdout.write(`\n=== ${name} ===\n`);
    const outcome = await runOne(name, path.join(dir, `${name}${SUFFIX}`));
    if (outcome.error) process.stdout.write(`${name}: ERROR, ${outcome.error}\n`);
    process.stdout.write(`(${name}: ${outcome.seconds.toFixed(1)} s)\n`);
    outcomes.push(outcome);
  }
  printSummary(outcomes, (performance.now() - started) / 1000);

  const errors = outcomes.filter((o) => o.error !== null).length;
  const missed = outcomes.reduce((n, o) => n + (o.result?.targets.filter((t) => !t.pass).length ?? 0), 0);
  const strictNote = args.strict ? ' (--strict)' : '';
  process.stdout.write(`\n${missed} target(s) missed, ${errors} bench(es) without a result${strictNote}.\n`);
  if (errors > 0) return 1;
  return args.strict && missed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
