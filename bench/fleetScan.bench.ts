/**
 * Fleet scan bench: a fake fleet of 13,000 healthy nodes in a child process,
 * scanned with scanFleet (concurrency 256), then a sample of the same targets
 * fetched with `xargs -P 64 -n 1 curl -s -m 5`. Prints nodes/s for both, the
 * ratio, the scanner's peak RSS, and whether the targets hold
 * (>= 3,000 nodes/s, peak RSS < 200 MB, >= 10x curl).
 *
 * Usage: node build/bench/fleetScan.bench.js [--nodes 13000] [--concurrency 256]
 *          [--curl-sample 2000] [--json] [--strict]
 * --strict exits 1 when a target is missed. The whole run stops by itself
 * after 5 minutes at most.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregate } from '../src/fleet/aggregate';
import { scanFleet } from '../src/fleet/scan';
import { formatTarget, type Target } from '../src/fleet/targets';
import { openFilesLimits, type ServerMessage } from './fleetServer';

const TARGET_RATE = 3000;
const TARGET_RSS_MB = 200;
const TARGET_RATIO = 10;
const RUN_DEADLINE_MS = 5 * 60_000;
const MB = 1024 * 1024;

interface Args {
  nodes: number;
  concurrency: number;
  curlSample: number;
  json: boolean;
  strict: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { nodes: 13000, concurrency: 256, curlSample: 2000, json: false, strict: false };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const number = (): number => {
      const value = Number(argv[(i += 1)]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`Expected \`${flag}\` to be a positive integer, got ${argv[i]}.`);
      return value;
    };
    if (flag === '--nodes') args.nodes = number();
    else if (flag === '--concurrency') args.concurrency = number();
    else if (flag === '--curl-sample') args.curlSample = number();
    else if (flag === '--json') args.json = true;
    else if (flag === '--strict') args.strict = true;
    else throw new Error(`Expected a known option, got ${flag}.`);
  }
  return args;
}

/** Starts the fake fleet child, raising its open-files soft limit with prlimit when needed and allowed. */
function startServer(nodes: number, log: (line: string) => void): ChildProcess {
  const script = join(__dirname, 'fleetServer.js');
  const limits = openFilesLimits();
  const needed = nodes + 1024;
  if (limits && limits.soft < needed && limits.hard >= needed && existsSync('/usr/bin/prlimit')) {
    log(`Raising the child's open-files soft limit ${limits.soft} -> ${limits.hard} with prlimit.`);
    return spawn('/usr/bin/prlimit', [`--nofile=${limits.hard}:${limits.hard}`, process.execPath, script, String(nodes)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }
  return fork(script, [String(nodes)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<Target[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The fake fleet was not ready within ${timeoutMs} ms.`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The fake fleet exited early with code ${code}.`));
    });
    child.on('message', (message: ServerMessage) => {
      clearTimeout(timer);
      if (message.type === 'ready' && message.targets) resolve(message.targets);
      else reject(new Error(message.message ?? 'The fake fleet failed to start.'));
    });
  });
}

interface CurlRun {
  nodes: number;
  ok: number;
  seconds: number;
  rate: number;
}

/** Fetches each URL with its own curl process, 64 at a time; no shell, xargs reads the file. */
function runCurl(targets: readonly Target[], dir: string, timeoutMs: number): Promise<CurlRun> {
  const file = join(dir, 'urls.txt');
  writeFileSync(file, targets.map((t) => `http://${formatTarget(t)}/flux/info\n`).join(''));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('xargs', ['-P', '64', '-n', '1', '-a', file, 'curl', '-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}\\n'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', () => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      const ok = out.split('\n').filter((code) => code === '200').length;
      resolve({ nodes: targets.length, ok, seconds, rate: targets.length / seconds });
    });
  });
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string): void => {
    if (!args.json) process.stdout.write(`${line}\n`);
  };
  const deadline = setTimeout(() => {
    process.stderr.write(`The fleet bench ran past ${RUN_DEADLINE_MS / 1000} s and stopped.\n`);
    process.exit(1);
  }, RUN_DEADLINE_MS);
  deadline.unref();

  const limits = openFilesLimits();
  log(`ulimit -n: soft ${limits?.soft ?? '?'}, hard ${limits?.hard ?? '?'}; fake fleet of ${args.nodes} nodes in a child process`);
  const server = startServer(args.nodes, log);
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  try {
    const setupStart = performance.now();
    const targets = await waitReady(server, 120_000);
    log(`Fake fleet listening on ${targets.length} ports in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    const results = await scanFleet(targets, { concurrency: args.concurrency, timeoutMs: 5000 });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const maxRss = process.resourceUsage().maxRSS * 1024;
    const summary = aggregate(results, { probability: 0.07 });
    const ours = targets.length / seconds;
    log(
      `scanFleet: ${targets.length} nodes in ${seconds.toFixed(2)} s = ${Math.round(ours)} nodes/s ` +
        `(answered ${summary.answered}, preprod ${summary.preprod}, failed ${summary.failedTotal})`,
    );

    const sample = targets.slice(0, Math.min(args.curlSample, targets.length));
    const sampled = sample.length < targets.length;
    log(`curl: xargs -P 64 -n 1 curl -s -m 5 over ${sampled ? `the first ${sample.length} targets (a sample: one process per node is slow)` : 'all targets'}...`);
    const curl = await runCurl(sample, dir, 150_000);
    log(`curl: ${curl.nodes} nodes in ${curl.seconds.toFixed(2)} s = ${Math.round(curl.rate)} nodes/s (HTTP 200: ${curl.ok})`);

    const ratio = ours / curl.rate;
    const peakMb = Math.max(peakRss, maxRss) / MB;
    const checks = {
      rate: ours >= TARGET_RATE && summary.answered === targets.length,
      rss: peakMb < TARGET_RSS_MB,
      ratio: ratio >= TARGET_RATIO,
    };
    const report = {
      nodes: targets.length,
      concurrency: args.concurrency,
      oursNodesPerSecond: Math.round(ours),
      oursSeconds: Number(seconds.toFixed(3)),
      answered: summary.answered,
      curlNodes: curl.nodes,
      curlSampled: sampled,
      curlOk: curl.ok,
      curlNodesPerSecond: Math.round(curl.rate),
      ratio: Number(ratio.toFixed(1)),
      peakRssMb: Number(peakMb.toFixed(1)),
      sampledPeakRssMb: Number((peakRss / MB).toFixed(1)),
      maxRssMb: Number((maxRss / MB).toFixed(1)),
      targets: checks,
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      const mark = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
      log('');
      log(`nodes/s ours        ${report.oursNodesPerSecond}`);
      log(`nodes/s curl        ${report.curlNodesPerSecond}${sampled ? ` (sample of ${curl.nodes})` : ''}`);
      log(`ratio               ${report.ratio}x`);
      log(`peak RSS (scanner)  ${report.peakRssMb} MB (sampled every 50 ms: ${report.sampledPeakRssMb} MB; getrusage maxRSS: ${report.maxRssMb} MB)`);
      log(`${mark(checks.rate)}  >= ${TARGET_RATE} nodes/s with every node answering`);
      log(`${mark(checks.rss)}  peak RSS < ${TARGET_RSS_MB} MB`);
      log(`${mark(checks.ratio)}  >= ${TARGET_RATIO}x curl`);
    }
    return args.strict && !(checks.rate && checks.rss && checks.ratio) ? 1 : 0;
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
