/**
 * The one line every bench ends with, so bench/run.ts can build its summary
 * without parsing prose: `BENCH_RESULT {"bench":…,"figures":…,"targets":[…]}`.
 */

/** One target of a bench, and whether this run met it. */
export interface BenchTarget {
  /** What must hold, e.g. "median < 50 ms". */
  label: string;
  /** The measured figure the verdict rests on, e.g. "3.1 ms". */
  measured: string;
  pass: boolean;
}

export interface BenchResult {
  bench: string;
  /** One short line with the headline figures, for the summary table. */
  headline: string;
  /** Every figure, machine-readable. */
  figures: Record<string, unknown>;
  targets: BenchTarget[];
}

export const RESULT_PREFIX = 'BENCH_RESULT ';

export function printResult(result: BenchResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

export function mark(pass: boolean): string {
  return pass ? 'PASS' : 'FAIL';
}

export function printTargets(targets: readonly BenchTarget[]): void {
  for (const target of targets)
    process.stdout.write(`${mark(target.pass)}  ${target.label} (measured: ${target.measured})\n`);
}

/** Common flags of our benches: `--strict` (exit 1 when a target fails) and `--runs N`. */
export function parseBenchArgs(argv: string[], defaults: { runs: number }): { strict: boolean; runs: number } {
  const args = { strict: false, runs: defaults.runs };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--strict') args.strict = true;
    else if (flag === '--runs') {
      const value = Number(argv[(i += 1)]);
      if (!Number.isInteger(value) || value < 1 || value > 1000) {
        throw new Error(`Expected \`--runs\` to be a whole number from 1 to 1000, got ${String(argv[i])}.`);
      }
      args.runs = value;
    } else throw new Error(`Expected --strict or --runs N, got ${flag}.`);
  }
  return args;
}

/**
 * Runs a bench's main with a hard deadline (a bench stops by itself even if
 * something hangs), prints errors as one sentence, and sets the exit code:
 * 1 on error, 1 with --strict when a target fails, else 0.
 */
export function runBench(
  name: string,
  deadlineMs: number,
  main: () => Promise<{ result: BenchResult; strict: boolean }>,
): void {
  const deadline = setTimeout(() => {
    process.stderr.write(`${name}: ran past its ${Math.round(deadlineMs / 1000)} s deadline and stopped.\n`);
    process.exit(1);
  }, deadlineMs);
  deadline.unref();
  main().then(
    ({ result, strict }) => {
      printResult(result);
      process.exitCode = strict && result.targets.some((t) => !t.pass) ? 1 : 0;
    },
    (error: unknown) => {
      process.stderr.write(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
