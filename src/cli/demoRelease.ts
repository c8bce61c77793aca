/**
 * `demo --release [good|bad]`: plays a release on the local demo fleet so a
 * newcomer sees the gate at work (docs/gate.md). Release 1.2.0 is pushed to
 * the upstream's preprod; each preprod node pulls it 1–2 simulated hours
 * later, as the watchdog would, and boots again through the real boot path.
 * A bad release crashes three preprod nodes in four at each boot, until the
 * real crash-loop fallback sends them back to master. Every simulated hour the fleet
 * is scanned over HTTP, the scan recorded with the time stamp of that hour
 * (as `fleet --record --at` does), and the gate judges it: wait, then
 * promote or halt. A small fleet cannot give the evidence 13,000 nodes give,
 * so the demo's gate settings (shown, in the demo folder) are looser and its
 * soak is 6 hours.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { runFleet, type Target } from '../fleet';
import { FileHistory } from '../gate/history/fileHistory';
import { evaluateHistory, type GateReport } from '../gate/judge/gate';
import { readGateSettings } from '../gate/judge/gateSettings';
import { writeHtmlReport } from '../gate/report/htmlFile';
import type { ScanRecord } from '../gate/history/scanRecord';
import { GATE_EXIT } from './commands/gate';
import { createRecorder } from './commands/record';
import { bootAndServe, demoSettings, git, writeFiles, type DemoNode, type DemoOptions } from './demo';

const DEMO_GATE = {
  gate: {
    minSoakHours: 6,
    minPreprodNodes: 5,
    minNodeHours: 20,
    minUptake: 0.8,
    darkHours: 3,
    quorumNodes: 1,
    // The demo's nodes ran the old release for an hour only, and its history is judged days later.
    steadyHours: 0,
    maxScanAgeHours: 876_000,
    minScansPerDay: 0,
    confidence: 0.95,
    darkMargin: 0.25,
    darkHaltMargin: 0.25,
    darkStratumHaltMargin: 0.25,
    earlyDarkMargin: 0.25,
    maxCrashLoopShare: 0.25,
    crashLoopHaltShare: 0.25,
    maxSwitchFailShare: 0.25,
  },
};
const HOURS = 12;
const START_MS = Date.UTC(2026, 0, 5, 8);
/** Pause between simulated hours, so a person can follow. */
const STEP_MS = 400;

export interface ReleaseContext {
  root: string;
  upstream: string;
  nodes: DemoNode[];
  targets: Target[];
  options: DemoOptions;
  stop: Promise<unknown>;
}

async function pushRelease(root: string, upstream: string): Promise<void> {
  const work = path.join(root, 'release-work');
  await git(root, 'clone', '-q', '-b', 'preprod', upstream, work);
  await writeFiles(work, {
    'package.json': `${JSON.stringify({ name: 'flux', version: '1.2.0', private: true }, null, 2)}\n`,
    'app.js': "console.log('FluxOS (demo) 1.2.0');\n",
  });
  await git(work, 'commit', '-q', '-am', 'release 1.2.0 on preprod');
  await git(work, 'push', '-q', 'origin', 'preprod');
  await fs.rm(work, { recursive: true, force: true });
}

/**
 * What happens to a preprod node in simulated hour `hour`, by its rank among
 * the preprod nodes: the watchdog pulls the release in hour 1 (even ranks) or
 * 2 (odd ranks); a bad release crashes three nodes in four at every boot (all
 * but ranks 0, 4, 8, …, so the release is seen on preprod in hour 1).
 */
async function stepNode(ctx: ReleaseContext, node: DemoNode, rank: number, hour: number): Promise<void> {
  const settings = demoSettings(ctx.options, ctx.upstream);
  const crashes = ctx.options.release === 'bad' && rank % 4 !== 0;
  if (hour === 1 + (rank % 2)) {
    await git(node.dir, 'fetch', '-q', 'origin', 'preprod');
    await git(node.dir, 'merge', '-q', '--ff-only', 'origin/preprod');
    const result = await bootAndServe(node, settings, { healthy: !crashes, serve: !crashes });
    if (!crashes || result.mode !== 'preprod') return;
  }
  // A crashed node is restarted every few minutes; each boot on the release crashes until the real fallback.
  for (let boot = 0; crashes && node.server === null && boot < 4; boot += 1) {
    const result = await bootAndServe(node, settings, { serve: false });
    if (result.mode !== 'preprod') await bootAndServe(node, settings, { healthy: true });
  }
}

function line(report: GateReport, hour: number): string {
  const e = report.evidence;
  const onRelease = `${e.uptake.on} of ${e.uptake.of} preprod nodes on ${report.release.version ?? '–'}`;
  const soak =
    e.hoursSinceReached === null
      ? 'not on preprod yet'
      : `soak ${e.hoursSinceReached} of ${report.settings.minSoakHours} h`;
  const falls = e.crashLoops.count > 0 ? `, ${e.crashLoops.count} crash-loop fallbacks` : '';
  const verdict = report.verdict.toUpperCase().padEnd(7);
  return `  hour ${String(hour).padStart(2)}: gate ${verdict} ${onRelease}; ${soak}${falls}\n`;
}

export async function playRelease(ctx: ReleaseContext): Promise<void> {
  const out = ctx.options.stdout;
  const configFile = path.join(ctx.root, 'demo-gate.json');
  await fs.writeFile(configFile, `${JSON.stringify(DEMO_GATE, null, 2)}\n`);
  const settings = readGateSettings(configFile);
  const historyFile = path.join(ctx.root, 'history.log');
  const history = new FileHistory(historyFile);
  const scans: ScanRecord[] = [];
  let stopped = false;
  void ctx.stop.then(() => (stopped = true));
  out.write(`\nPlaying a ${ctx.options.release} release: 1.2.0 is pushed to preprod; one scan per simulated hour.\n`);
  const preprod = ctx.nodes.filter((node) => node.result.mode === 'preprod');
  let report: GateReport | null = null;
  for (let hour = 0; hour <= HOURS && !stopped; hour += 1) {
    if (hour === 1) await pushRelease(ctx.root, ctx.upstream);
    for (const [rank, node] of preprod.entries()) await stepNode(ctx, node, rank, hour);
    const at = new Date(START_MS + hour * 3_600_000).toISOString();
    const recorder = createRecorder(async () => history, at, ctx.options.stderr, { keepOpen: true });
    await runFleet({
      targets: ctx.targets,
      concurrency: 64,
      timeoutMs: 5000,
      probability: ctx.options.probability,
      onNode: recorder.collect,
    });
    scans.push(await recorder.store());
    report = evaluateHistory(scans, { settings, timeline: true });
    out.write(line(report, hour));
    if (report.verdict !== 'wait' && report.release.version === '1.2.0') break;
    await new Promise((resolve) => setTimeout(resolve, STEP_MS));
  }
  if (report === null) return;
  const html = path.join(ctx.root, 'gate-report.html');
  await writeHtmlReport(report, html);
  out.write(
    `\nThe gate says ${report.verdict.toUpperCase()} (exit code ${GATE_EXIT[report.verdict]}). Judge it yourself:\n`,
  );
  out.write(`  fluxos-preprod gate --history file:${historyFile} --config ${configFile}\n`);
  out.write(
    `  (demo settings: a 6-hour soak and wide margins for ${ctx.nodes.length} nodes; docs/gate.md has the real ones)\n`,
  );
  out.write(`HTML report: ${html}${ctx.options.keep ? '' : ' (run with --keep to keep it)'}\n`);
}
