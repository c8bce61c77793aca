/**
 * `fluxos-preprod fleet watch --every DURATION --record STORE [TARGET...]
 * [--targets FILE] [--metrics-port N] [--metrics-host H]` (docs/design.md
 * §11, docs/gate-operations.md): scans on a schedule, records every scan,
 * judges the release after each, and serves the latest figures as Prometheus
 * metrics on http://H:N/metrics (127.0.0.1 unless --metrics-host) and the
 * verdict beside them (/gate.json, /gate.md, /gate.html, /gate.svg). A
 * history the gate cannot judge is counted and said, never the end of the
 * watch. Stops cleanly on SIGTERM or SIGINT: a scan in flight is cut and not
 * recorded.
 */
import type { Command } from 'commander';
import { readSettings } from '../../config/settings';
import { describeError, PreprodError } from '../../errors';
import type { GateReport } from '../../gate/judge/gate';
import type { HistoryStore } from '../../gate/history/history';
import type { WatchMetrics } from '../../gate/report/metrics';
import type { ScanRecord } from '../../gate/history/scanRecord';
import { createRecorder } from './record';
import { serveWatch, type ServedGate, type WatchServer } from './watchServer';
import { addScanOptions, type FleetOptions, gatherTargets } from './fleet';

export const DEFAULT_METRICS_PORT = 9464;
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MIN_EVERY_MS = 10_000;
const MAX_EVERY_MS = 7 * 86_400_000;

/** `30m`, `1h`, `90s`, `1.5h`, `1d` → milliseconds; a usage error outside 10 s … 7 d. */
export function duration(name: string) {
  return (raw: string): number => {
    const match = /^(\d{1,6}(?:\.\d{1,3})?)(s|m|h|d)$/.exec(raw);
    const ms = match ? Number(match[1]) * UNITS[match[2]] : Number.NaN;
    if (!(ms >= MIN_EVERY_MS && ms <= MAX_EVERY_MS)) {
      const shown = JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
      throw new PreprodError(
        'usage',
        `Expected \`${name}\` to be a duration from 10s to 7d like 30m, 1h or 90s, got ${shown}.`,
      );
    }
    return ms;
  };
}

export interface WatchOptions extends FleetOptions {
  every: number;
  record: string;
  metricsPort: number;
  metricsHost: string;
}

export interface WatchIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Resolves on the first SIGINT or SIGTERM. */
  waitForSignal: () => Promise<unknown>;
}

interface Watcher {
  args: string[];
  options: WatchOptions;
  io: WatchIo;
  history: HistoryStore;
  scans: ScanRecord[];
  metrics: WatchMetrics;
  judge: (scans: ScanRecord[]) => GateReport | null;
  probability: number;
  signal: AbortSignal;
  /** The verdict the endpoints serve, replaced after every scan. */
  served: ServedGate;
}

const NO_SCAN_YET = 'No verdict yet: the history has no scan.';

/** Judges the history; an evaluation that throws is counted and said, and nothing stale is served. */
export function judgeNow(w: Pick<Watcher, 'judge' | 'scans' | 'metrics' | 'io' | 'served'>): GateReport | null {
  try {
    const report = w.judge(w.scans);
    w.served = { report, problem: NO_SCAN_YET, failed: false };
    return report;
  } catch (error) {
    w.metrics.evaluationFailed();
    const problem = `The gate could not judge the history: ${describeError(error)}.`;
    w.served = { report: null, problem, failed: true };
    w.io.stderr.write(`fluxos-preprod: ${problem}\n`);
    return null;
  }
}

/** One scan: recorded, judged, and shown in the metrics. Returns false when it was cut short by a signal. */
async function scanOnce(w: Watcher): Promise<boolean> {
  const started = new Date();
  const recorder = createRecorder(async () => w.history, started.toISOString(), w.io.stderr, { keepOpen: true });
  // The node list is read again every scan (node lists change), through the same reader and screen as `fleet`.
  const { targets, dropped } = await gatherTargets(w.args, w.options, w.io.stderr);
  const { runFleet } = await import('../../fleet');
  const summary = await runFleet({
    targets,
    dropped,
    concurrency: w.options.concurrency,
    timeoutMs: w.options.timeout,
    probability: w.probability,
    signal: w.signal,
    onNode: recorder.collect,
  });
  if (w.signal.aborted) return false; // a scan cut short is not a scan of the fleet: not recorded
  try {
    const record = await recorder.store();
    // Another recorder on the same history would make the copy in memory stale: read it again then.
    if (record.seq === w.scans.length + 1) w.scans.push(record);
    else w.scans.splice(0, w.scans.length, ...(await w.history.read()));
    w.metrics.recorded();
  } catch (error) {
    w.metrics.recordFailed();
    w.io.stderr.write(`fluxos-preprod: The scan was not recorded: ${describeError(error)}.\n`);
  }
  const gate = judgeNow(w);
  w.metrics.update(summary, gate, (Date.now() - started.getTime()) / 1000, started);
  const verdict = gate?.verdict ?? (w.served.failed ? 'not judged' : 'wait');
  w.io.stderr.write(
    `scan at ${started.toISOString()}: ${summary.answered} of ${summary.asked} answered; gate ${verdict}\n`,
  );
  return true;
}

export async function runWatch(args: string[], options: WatchOptions, io: WatchIo): Promise<number> {
  const stop = io.waitForSignal(); // before anything is printed: a signal sent right after must find the handler
  const settings = readSettings({ configFile: options.config });
  await gatherTargets(args, options, io.stderr); // bad targets are bad usage, before anything is served
  const [{ openHistory }, { readGateSettings }, { evaluateHistory }, { createWatchMetrics }] = await Promise.all([
    import('../../gate/history/history'),
    import('../../gate/judge/gateSettings'),
    import('../../gate/judge/gate'),
    import('../../gate/report/metrics'),
  ]);
  const gateSettings = readGateSettings(options.config);
  const history = await openHistory(options.record, '--record');
  const controller = new AbortController();
  void stop.then(() => controller.abort());
  let server: WatchServer | null = null;
  try {
    const metrics = createWatchMetrics();
    // The same evaluation as `gate --html` on the same history, so /gate.json says what `gate --json` says.
    // An empty history is judged too: wait, "the history is empty", as `gate` says.
    const judge = (scans: ScanRecord[]) =>
      evaluateHistory(scans, { settings: gateSettings, timeline: true, now: new Date().toISOString() });
    const probability = settings.preProd.probability;
    const w: Watcher = {
      args,
      options,
      io,
      history,
      scans: await history.read(),
      metrics,
      judge,
      probability,
      signal: controller.signal,
      served: { report: null, problem: NO_SCAN_YET, failed: false },
    };
    judgeNow(w); // a restarted watch serves the recorded history's verdict before its first scan ends
    server = await serveWatch(metrics.registry, () => w.served, options.metricsPort, options.metricsHost);
    io.stdout.write(`serving ${server.url}\n`);
    while (!controller.signal.aborted) {
      const started = Date.now();
      if (!(await scanOnce(w))) break;
      const wait = new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, started + options.every - Date.now())).unref(),
      );
      await Promise.race([stop, wait]);
    }
    return 0;
  } finally {
    await server?.close();
    await history.close().catch(() => undefined);
    io.stderr.write('fleet watch stopped\n');
  }
}

export function addWatchCommand(
  fleet: Command,
  io: WatchIo,
  setExit: (code: number) => void,
  wholeNumber: (name: string, min: number, max: number) => (raw: string) => number,
): Command {
  const command = fleet
    .command('watch')
    .description(
      'Scan on a schedule, record every scan, and serve the latest figures and gate verdict (metrics, JSON, ' +
        'Markdown, HTML, badge).',
    )
    .argument('[target...]', 'host[:port] of nodes (default port 16127)')
    .requiredOption('--every <duration>', 'time between scan starts, e.g. 1h, 30m (10s to 7d)', duration('--every'))
    .requiredOption('--record <store>', 'the history: file:PATH or mongodb://host:port[/db]');
  // The scan options are fleet's; the --targets file is read again before every scan (node lists change).
  return addScanOptions(command, wholeNumber)
    .option('--config <file>', 'settings file (its preProd.probability and gate block)')
    .option(
      '--metrics-port <n>',
      `port of the metrics endpoint (default ${DEFAULT_METRICS_PORT})`,
      wholeNumber('--metrics-port', 0, 65535),
      DEFAULT_METRICS_PORT,
    )
    .option('--metrics-host <host>', 'address of the metrics endpoint', '127.0.0.1')
    .action(async (args: string[], options: WatchOptions) => {
      setExit(await runWatch(args, options, io));
    });
}
