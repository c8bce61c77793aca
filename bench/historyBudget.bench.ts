/**
 * History budget bench: "13,000 nodes scanned hourly for 30 days, health
 * signals included, stay under 50 MB on disk (issue 20; 200 MB before), and
 * the gate over it answers in under 3 s" (the CLI, node start-up included);
 * reading it back and rebuilding and judging the health ledger (what the
 * gate will add for issue 20) in process under 1 s.
 *
 * The fleet is the release simulation's (src/gate/sim): every node boots
 * through the real decide() on its own records, restarts about weekly (with
 * re-draws as draws expire), 1% of nodes miss any one scan, outages start at
 * 1% of nodes per day (mean 12 h), 0.2% of nodes per day leave for good, a
 * preprod release lands on day 1 and a master release (every production node
 * changes version) on day 15. Each hourly scan goes through the real
 * recording path: buildScan() over all 13,000 observations, appended to a
 * file history with fsync. Each answering node carries health signals from
 * bench/support/healthModel.ts (the healthBudget bench's model), stored as
 * observeScan() stores a real scan's: toStored() against the node's last
 * stored health, the words in the scan's column. Then `fluxos-preprod gate --history file:… --json`
 * runs as a real process (node start-up included), three times.
 *
 * Usage: node build/bench/historyBudget.bench.js [--runs 3] [--strict]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileHistory } from '../src/gate/history/fileHistory';
import { evaluateHistory } from '../src/gate/judge/gate';
import { defaultGateSettings } from '../src/gate/judge/gateSettings';
import { healthFromHistory } from '../src/gate/history/healthFromHistory';
import { judgeHealth } from '../src/health/ledger';
import { HOURS, NODES, recordHistory } from './support/historyFleet';
import { parseBenchArgs, printTargets, runBench, type BenchTarget } from './support/report';

const TARGET_MB = 50;
const TARGET_GATE_MS = 3000;
const TARGET_HEALTH_MS = 1000;
const CLI = path.resolve(__dirname, '..', 'src', 'cli.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function gateWallMs(file: string): { ms: number; verdict: string } {
  const started = performance.now();
  const run = spawnSync(process.execPath, [CLI, 'gate', '--history', `file:${file}`, '--json'], { encoding: 'utf8' });
  const ms = performance.now() - started;
  if (run.status === null || run.status === 2 || run.status === 4)
    throw new Error(`gate failed (${run.status}): ${run.stderr}`);
  return { ms, verdict: (JSON.parse(run.stdout) as { verdict: string }).verdict };
}

runBench('historyBudget', 15 * 60_000, async () => {
  const args = parseBenchArgs(process.argv.slice(2), { runs: 3 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxos-preprod-history-bench-'));
  try {
    const file = path.join(dir, 'history.log');
    const { appendMs, changes } = await recordHistory(file);
    const mb = statSync(file).size / (1024 * 1024);
    const started = performance.now();
    const scans = await new FileHistory(file).read();
    const readMs = performance.now() - started;
    const judged = performance.now();
    const report = evaluateHistory(scans, { settings: defaultGateSettings() });
    const evaluateMs = performance.now() - judged;
    const rebuilt = performance.now();
    const ledger = healthFromHistory(scans, report.release.commit ?? '');
    const ledgerMs = performance.now() - rebuilt;
    const judging = performance.now();
    const healthJudgement = judgeHealth(ledger);
    const judgeHealthMs = performance.now() - judging;
    const healthMs = readMs + evaluateMs + ledgerMs + judgeHealthMs;
    const runs = Array.from({ length: args.runs }, () => gateWallMs(file));
    const gateMs = median(runs.map((r) => r.ms));
    const targets: BenchTarget[] = [
      {
        label: `history of ${NODES} nodes, hourly for 30 days < ${TARGET_MB} MB`,
        measured: `${mb.toFixed(1)} MB`,
        pass: mb < TARGET_MB,
      },
      {
        label: `read + evaluate + rebuild and judge the health ledger, in process < ${TARGET_HEALTH_MS / 1000} s`,
        measured: `${Math.round(healthMs)} ms`,
        pass: healthMs < TARGET_HEALTH_MS,
      },
      {
        label: `gate over it < ${TARGET_GATE_MS / 1000} s`,
        measured: `${Math.round(gateMs)} ms`,
        pass: gateMs < TARGET_GATE_MS,
      },
    ];
    const figures = {
      nodes: NODES,
      scans: HOURS,
      megabytes: Math.round(mb * 10) / 10,
      nodeChanges: changes,
      meanAppendMs: Math.round((appendMs / HOURS) * 10) / 10,
      gateWallMs: runs.map((r) => Math.round(r.ms)),
      gateMedianMs: Math.round(gateMs),
      inProcessReadMs: Math.round(readMs),
      inProcessEvaluateMs: Math.round(evaluateMs),
      inProcessHealthLedgerMs: Math.round(ledgerMs),
      inProcessJudgeHealthMs: Math.round(judgeHealthMs),
      inProcessTotalMs: Math.round(healthMs),
      healthScans: ledger.scanCount,
      healthHalt: healthJudgement.halt,
      verdict: runs[0].verdict,
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    printTargets(targets);
    const gate = `gate ${figures.gateMedianMs} ms (median of ${args.runs})`;
    const headline = `${figures.megabytes} MB for ${NODES} nodes × ${HOURS} hourly scans; ${gate}`;
    return { result: { bench: 'historyBudget', headline, figures, targets }, strict: args.strict };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
