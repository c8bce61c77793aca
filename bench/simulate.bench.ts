/**
 * Decision-rules bench: times simulate({ nodes: 13000, months: 12, seed: 1 })
 * (target: well under 2 s) and measures decide() on a no-change
 * boot, the call every node makes at every restart.
 *
 * Usage: node build/bench/simulate.bench.js [--runs 5] [--json] [--strict]
 * --strict exits 1 when the simulation's median reaches 2 s.
 */
import { decide, type DecisionInput } from '../src/cohort/decide';
import { defaultSettings } from '../src/config/settings';
import { simulate } from '../src/cohort/simulate';
import { COHORT_KEY } from '../src/types';

const TARGET_MS = 2000;
const DAY_MS = 86_400_000;

export interface SimulateBenchResult {
  /** Wall time of each simulate() run, in ms. */
  runsMs: number[];
  medianMs: number;
  /** Boots simulated in one run (decide() calls). */
  boots: number;
  /** decide() calls per second on a no-change production boot. */
  decideOpsPerSec: number;
  withinTarget: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** ops/s of decide() for a node whose stored draw stands and says production: it reads, decides and writes nothing. */
export function benchDecide(durationMs = 1000): number {
  const now = new Date(Date.UTC(2026, 10, 15));
  const rolledAt = new Date(now.getTime() - 5 * DAY_MS);
  const input: DecisionInput = {
    settings: defaultSettings().preProd,
    flags: { development: false, disablePreProd: undefined },
    cohortDoc: { key: COHORT_KEY, value: false, draw: 0.5, rolledAt, probability: 0.07, updatedAt: rolledAt },
    optOutDoc: null,
    healthDoc: null,
    now,
    random: () => {
      throw new Error('a no-change boot must not draw');
    },
  };
  // Warm up so the optimising compiler has settled before timing.
  for (let i = 0; i < 100_000; i += 1) decide(input);
  let calls = 0;
  const start = process.hrtime.bigint();
  let spent = 0;
  while (spent < durationMs) {
    for (let i = 0; i < 10_000; i += 1) {
      if (decide(input).writes.length !== 0) throw new Error('a no-change boot wrote to the store');
    }
    calls += 10_000;
    spent = elapsedMs(start);
  }
  return Math.round((calls / spent) * 1000);
}

export function benchSimulate(runs = 5): SimulateBenchResult {
  const runsMs: number[] = [];
  let boots = 0;
  for (let run = 0; run < runs; run += 1) {
    const start = process.hrtime.bigint();
    const report = simulate({ nodes: 13_000, months: 12, seed: 1 });
    runsMs.push(Math.round(elapsedMs(start) * 10) / 10);
    boots = report.months.reduce((sum, m) => sum + m.boots, 0);
  }
  const medianMs = median(runsMs);
  return { runsMs, medianMs, boots, decideOpsPerSec: benchDecide(), withinTarget: medianMs < TARGET_MS };
}

function parseArgs(argv: string[]): { runs: number; json: boolean; strict: boolean } {
  const args = { runs: 5, json: false, strict: false };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--runs') {
      const value = Number(argv[(i += 1)]);
      if (!Number.isInteger(value) || value < 1 || value > 100) {
        throw new Error(`Expected \`--runs\` to be a whole number from 1 to 100, got ${String(argv[i])}.`);
      }
      args.runs = value;
    } else if (flag === '--json') args.json = true;
    else if (flag === '--strict') args.strict = true;
    else throw new Error(`Expected a known option (--runs, --json, --strict), got ${flag}.`);
  }
  return args;
}

function main(): void {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const result = benchSimulate(args.runs);
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const verdict = result.withinTarget ? `under the ${TARGET_MS} ms target` : `MISSES the ${TARGET_MS} ms target`;
    process.stdout.write(
      `simulate 13000 nodes × 12 months (seed 1): median ${result.medianMs} ms over ${args.runs} runs ` +
        `[${result.runsMs.join(', ')}], ${result.boots} boots, ${verdict}\n` +
        `decide() no-change boot: ${result.decideOpsPerSec.toLocaleString('en-US')} ops/s\n`,
    );
  }
  if (args.strict && !result.withinTarget) process.exitCode = 1;
}

if (require.main === module) main();
