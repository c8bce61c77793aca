/**
 * Health judge bench (issue 20): "the gate over a 30-day hourly history of 13,000 nodes, signals included,
 * stays under 1 s", and the release simulator's "a judge at each hourly look that costs milliseconds".
 *
 * 1. Rebuild and judge: the history of bench/support/historyFleet.ts (the historyBudget bench's: 13,000
 *    nodes, hourly for 30 days, health signals from healthModel.ts, recorded through the real recording
 *    path) is read once; then `healthFromHistory()` + `judgeHealth()` (all eight signals) run `--runs` times
 *    in process. The target is on the median.
 * 2. Incremental looks: a ledger of 13,000 model nodes (healthModel.ts) gets one scan an hour through
 *    `addWordScan` (words, as the simulator feeds them); the release is pushed at hour 24 and taken by
 *    7% of nodes 1–4 hours later; `judgeHealth()` is asked after every scan for 168 hours after the push.
 *    Figures: the median and 95th percentile of a look, and a fresh judge of the same ledger at the last
 *    look (what a look would cost without what earlier looks kept).
 *
 * Usage: node build/bench/healthJudge.bench.js [--runs 3] [--strict] [--history FILE]
 *   --history FILE  reuse the history recorded in FILE (recorded there first when it does not exist)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { seededRandom } from '../src/cohort/random';
import { FileHistory } from '../src/gate/history/fileHistory';
import { healthFromHistory } from '../src/gate/history/healthFromHistory';
import { evaluateHistory } from '../src/gate/judge/gate';
import { defaultGateSettings } from '../src/gate/judge/gateSettings';
import { healthWord, toStored } from '../src/health/encode';
import { HealthLedger, judgeHealth, type WordScanEntry } from '../src/health/ledger';
import { modelNode, scanOf } from './support/healthModel';
import { HOURS, NODES, recordHistory } from './support/historyFleet';
import { parseBenchArgs, printTargets, runBench, type BenchTarget } from './support/report';

const TARGET_REBUILD_MS = 1000;
const TARGET_LOOK_MS = 10;
const PUSH_HOUR = 24;
const LOOK_HOURS = 168;
const PROBABILITY = 0.07;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

async function rebuildAndJudge(file: string, runs: number) {
  const scans = await new FileHistory(file).read();
  const release = evaluateHistory(scans, { settings: defaultGateSettings() }).release.commit ?? '';
  const cpuMs = (): number => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const timings = Array.from({ length: runs }, () => {
    const [started, startedCpu] = [performance.now(), cpuMs()];
    const ledger = healthFromHistory(scans, release);
    const rebuilt = performance.now();
    const judgement = judgeHealth(ledger);
    const ended = performance.now();
    return {
      rebuildMs: rebuilt - started,
      judgeMs: ended - rebuilt,
      // On a shared machine the wall time moves with the neighbours; the process's own CPU time less so.
      cpuMs: cpuMs() - startedCpu,
      halt: judgement.halt,
    };
  });
  return {
    timings,
    medianMs: quantile(
      timings.map((t) => t.rebuildMs + t.judgeMs),
      0.5,
    ),
  };
}

/** Hourly scans of model nodes fed as words, judged after each: the simulator's loop. */
function incrementalLooks() {
  const random = seededRandom(41);
  const nodes = Array.from({ length: NODES }, (_, i) => modelNode(i, random));
  const adopts = nodes.map(() => (random() < PROBABILITY ? PUSH_HOUR + 1 + Math.floor(random() * 4) : Infinity));
  const ledger = new HealthLedger('release');
  // The same scans, judged only once at the last look: what a look costs without what earlier looks kept.
  const unjudged = new HealthLedger('release');
  for (const node of nodes) unjudged.nodeIndex(node.key);
  const entries: WordScanEntry[] = nodes.map((node) => ({
    node: ledger.nodeIndex(node.key),
    word: 0,
    bootMinute: null,
    provider: null,
    onRelease: false,
  }));
  const looks: number[] = [];
  const adds: number[] = [];
  for (let hour = 0; hour < PUSH_HOUR + LOOK_HOURS; hour += 1) {
    const answering = entries.filter((entry, i) => {
      if (random() < 0.01) return false;
      const { signals, lag, ms } = scanOf(nodes[i], hour, random);
      nodes[i].stored = toStored(signals, lag, ms, nodes[i].stored);
      entry.word = healthWord(nodes[i].stored);
      entry.bootMinute = nodes[i].stored?.bootMinute ?? null;
      entry.provider = nodes[i].stored?.provider ?? null;
      entry.onRelease = hour >= adopts[i];
      return true;
    });
    const started = performance.now();
    ledger.addWordScan(answering);
    const added = performance.now();
    unjudged.addWordScan(answering);
    const judging = performance.now();
    judgeHealth(ledger);
    adds.push(added - started);
    if (hour >= PUSH_HOUR) looks.push(performance.now() - judging);
  }
  const started = performance.now();
  judgeHealth(unjudged);
  return { looks, adds, freshMs: performance.now() - started };
}

runBench('healthJudge', 15 * 60_000, async () => {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--history');
  const kept = at >= 0 ? argv[at + 1] : undefined;
  if (at >= 0 && (kept === undefined || kept.startsWith('-'))) throw new Error('Expected a file after `--history`.');
  const args = parseBenchArgs(at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 2)] : argv, { runs: 3 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxos-preprod-health-bench-'));
  try {
    const file = kept ?? path.join(dir, 'history.log');
    if (!existsSync(file)) await recordHistory(file);
    const rebuild = await rebuildAndJudge(file, args.runs);
    const { looks, adds, freshMs } = incrementalLooks();
    const lookMedian = quantile(looks, 0.5);
    const targets: BenchTarget[] = [
      {
        label: `rebuild + judge the health of ${NODES} nodes × ${HOURS} hourly scans < ${TARGET_REBUILD_MS} ms`,
        measured: `${Math.round(rebuild.medianMs)} ms (median of ${args.runs})`,
        pass: rebuild.medianMs < TARGET_REBUILD_MS,
      },
      {
        label: `one hourly look of the incremental judge, ${NODES} nodes, median < ${TARGET_LOOK_MS} ms`,
        measured: `${lookMedian.toFixed(1)} ms`,
        pass: lookMedian < TARGET_LOOK_MS,
      },
    ];
    const round = (ms: number): number => Math.round(ms * 10) / 10;
    const figures = {
      nodes: NODES,
      historyScans: HOURS,
      rebuildMs: rebuild.timings.map((t) => Math.round(t.rebuildMs)),
      judgeMs: rebuild.timings.map((t) => Math.round(t.judgeMs)),
      rebuildAndJudgeMedianMs: Math.round(rebuild.medianMs),
      rebuildAndJudgeCpuMs: rebuild.timings.map((t) => Math.round(t.cpuMs)),
      loadAverage: os.loadavg()[0].toFixed(1),
      historyHalt: rebuild.timings[0].halt,
      looks: looks.length,
      lookMedianMs: round(lookMedian),
      lookP95Ms: round(quantile(looks, 0.95)),
      lookMaxMs: round(Math.max(...looks)),
      addScanMedianMs: round(quantile(adds, 0.5)),
      freshJudgeAtLastLookMs: Math.round(freshMs),
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    printTargets(targets);
    const headline =
      `rebuild + judge ${figures.rebuildAndJudgeMedianMs} ms (${HOURS} h × ${NODES} nodes); ` +
      `a look ${figures.lookMedianMs} ms median, ${figures.lookP95Ms} ms p95`;
    return { result: { bench: 'healthJudge', headline, figures, targets }, strict: args.strict };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
