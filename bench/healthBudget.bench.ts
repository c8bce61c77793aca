/**
 * Health budget bench: "30 days of hourly scans of 13,000 nodes, signals
 * included, fit in < 50 MB" (issue 20; the history without them is ~10 MB).
 *
 * It measures the bytes the health signals add to the history, as
 * src/health/encode.ts stores them: per scan, the words that changed in one
 * column (`index.word` in base 36, ~10 bytes each), and the rare boot time,
 * provider and country changes as `{"n":"ip:port",…}` records, counted as if
 * none shared a record with the node's other changes (an over-estimate). The signals come from a seeded fleet model,
 * its assumptions stated here because the figure depends on them:
 * - answer time: per node a median drawn from 100–1,500 ms, each scan
 *   log-normal around it (σ 0.5): pessimistic for a route FluxOS caches;
 * - peers: per node a mean in (2–40) and out (6–16), each scan Poisson
 *   around it;
 * - apps: 35% of nodes host none; a node's app count changes in 1% of scans;
 * - sync: 1% of scans fall 6–100 blocks behind; ArcaneOS 30% of nodes;
 * - restarts about weekly; confirmed and benchmark flip in 0.1% of scans; a
 *   component fails (degraded) in 0.5% of scans and recovers the next;
 * - 1% of nodes miss any one scan (they record nothing).
 * It also prints the worst case: every node's word changing every scan.
 *
 * Usage: node build/bench/healthBudget.bench.js [--strict]
 */
import { seededRandom, type RandomSource } from '../src/cohort/random';
import { encodeHealthColumn, healthChange, toStored } from '../src/health/encode';
import { modelNode, scanOf } from './support/healthModel';
import { parseBenchArgs, printTargets, runBench, type BenchTarget } from './support/report';

const NODES = 13_000;
const HOURS = 30 * 24;
const TARGET_MB = 50;
/** The history without health signals, 30 days of 13,000 nodes (issue 20's figure). */
const BASE_MB = 10;
function measure(random: RandomSource): { bytes: number; records: number; worstBytes: number } {
  const nodes = Array.from({ length: NODES }, (_, i) => modelNode(i, random));
  let bytes = 0;
  let records = 0;
  let worstBytes = 0;
  for (let hour = 0; hour < HOURS; hour += 1) {
    for (const [index, node] of nodes.entries()) {
      if (random() < 0.01) continue;
      const { signals, lag, ms } = scanOf(node, hour, random);
      const after = toStored(signals, lag, ms, node.stored);
      const change = healthChange(node.stored, after);
      // The worst case: a record with the word (and nothing else) for every node in every scan.
      worstBytes += encodeHealthColumn([[index, (1 << 27) | 0x0ffffff]]).length + 1;
      node.stored = after;
      if (change === null) continue;
      records += 1;
      // The word goes in the scan's column (`index.word,`); the rare b, p, g in the node's change record.
      const { h, ...rare } = change;
      if (h !== undefined) bytes += encodeHealthColumn([[index, h]]).length + 1;
      if (Object.keys(rare).length > 0) bytes += JSON.stringify({ n: node.key, ...rare }).length + 1;
    }
  }
  return { bytes, records, worstBytes };
}

runBench('healthBudget', 10 * 60_000, async () => {
  const args = parseBenchArgs(process.argv.slice(2), { runs: 1 });
  const started = performance.now();
  const { bytes, records, worstBytes } = measure(seededRandom(20));
  const ms = performance.now() - started;
  const mb = bytes / (1024 * 1024);
  const worstMb = worstBytes / (1024 * 1024);
  const total = BASE_MB + mb;
  const targets: BenchTarget[] = [
    {
      label: `history with health signals, ${NODES} nodes hourly for 30 days < ${TARGET_MB} MB`,
      measured: `${total.toFixed(1)} MB (${BASE_MB} + ${mb.toFixed(1)} for the signals)`,
      pass: total < TARGET_MB,
    },
  ];
  const figures = {
    nodes: NODES,
    scans: HOURS,
    healthMegabytes: Math.round(mb * 10) / 10,
    totalMegabytes: Math.round(total * 10) / 10,
    changeRecords: records,
    changedShareOfNodeScans: Math.round((records / (NODES * HOURS)) * 1000) / 1000,
    worstCaseHealthMegabytes: Math.round(worstMb * 10) / 10,
    encodeMs: Math.round(ms),
  };
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  printTargets(targets);
  const headline = `${figures.healthMegabytes} MB of health signals for ${NODES} nodes × ${HOURS} hourly scans`;
  return { result: { bench: 'healthBudget', headline, figures, targets }, strict: args.strict };
});
