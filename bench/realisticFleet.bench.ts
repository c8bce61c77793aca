/**
 * Realistic fleet bench: 13,000 nodes on loopback that behave like the real
 * fleet (realisticFleetServer.ts: replies after 50–300 ms, 5% black holes,
 * 3% hostile), scanned by the real CLI, `fluxos-preprod fleet --targets FILE
 * --json`, once at its defaults and once with `--concurrency 4096`; then,
 * for reading the figures, the simplest Node client (realisticFleetClient.ts)
 * on the same fleet at the same concurrency: the machine's floor right now.
 *
 * Targets (docs/design.md §7): at the defaults the whole scan, process start
 * to exit, takes at most 12 s (the floor is one per-node deadline, 5 s, plus
 * the transfers); the scanner's peak RSS stays under 200 MB in both runs;
 * and every honest node is classified answered in both runs. Hostile nodes
 * never give a usable answer, so "every honest node answered" is checked
 * as `answered` = honest nodes, with the preprod count matching too. The
 * fake fleet runs at a raised priority (see shieldFleet); the scanner does not.
 *
 * Usage: node build/bench/realisticFleet.bench.js [--nodes 13000] [--seed 1] [--strict]
 * --strict exits 1 when a target is missed. Stops by itself after 5 minutes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SCAN_DEFAULTS } from '../src/fleet/limits';
import { formatTarget } from '../src/fleet/targets';
import { openFilesLimits, startServerChild, waitReady } from './fleetServer';
import { runBare } from './realisticFleetClient';
import type { FleetPlan, RealisticServerMessage } from './realisticFleetServer';
import { type BenchTarget, printTargets, runBench } from './support/report';

const TARGET_SECONDS = 12;
const TARGET_RSS_MB = 200;
const RUN_DEADLINE_MS = 5 * 60_000;
const CLI = resolve(__dirname, '..', 'src', 'cli.js');
const PROBE = join(__dirname, 'realisticFleetProbe.js');

interface Args {
  nodes: number;
  seed: number;
  strict: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { nodes: 13000, seed: 1, strict: false };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const whole = (): number => {
      const value = Number(argv[(i += 1)]);
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`Expected \`${flag}\` to be a positive integer, got ${argv[i]}.`);
      return value;
    };
    if (flag === '--nodes') args.nodes = whole();
    else if (flag === '--seed') args.seed = whole();
    else if (flag === '--strict') args.strict = true;
    else throw new Error(`Expected --nodes N, --seed S or --strict, got ${flag}.`);
  }
  return args;
}

interface FleetJson {
  asked: number;
  answered: number;
  preprod: number;
  production: number;
  failed: Record<string, number>;
}

interface ScanRun {
  label: string;
  seconds: number;
  maxRssMb: number;
  /** CPU time of the scanner process, user + system. */
  cpuSeconds: number;
  summary: FleetJson;
}

/** Runs the CLI as an operator would, with the probe preloaded; resolves when it has exited. */
function runCli(args: string[], probeFile: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const env = { ...process.env, REALISTIC_FLEET_PROBE: probeFile };
    const child = spawn(process.execPath, ['--require', PROBE, CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk.slice(0, 4096);
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function scan(server: ChildProcess, label: string, args: string[], dir: string): Promise<ScanRun> {
  const probeFile = join(dir, `probe-${label.replace(/\W+/g, '-')}.json`);
  server.send({ type: 'start' });
  const started = performance.now();
  const run = await runCli(['fleet', ...args, '--json'], probeFile);
  const seconds = (performance.now() - started) / 1000;
  if (run.code !== 0) throw new Error(`fleet ${label} exited with ${run.code}: ${run.stderr.trim()}`);
  const summary = JSON.parse(run.stdout) as FleetJson;
  const probe = JSON.parse(readFileSync(probeFile, 'utf8')) as { maxRssKb: number; cpuMs: number };
  return { label, seconds, maxRssMb: probe.maxRssKb / 1024, cpuSeconds: probe.cpuMs / 1000, summary };
}

function describeRun(run: ScanRun): string {
  const failed = Object.entries(run.summary.failed)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const { answered, preprod } = run.summary;
  return (
    `${run.label}: ${run.seconds.toFixed(2)} s (CPU ${run.cpuSeconds.toFixed(1)} s), ` +
    `peak RSS ${run.maxRssMb.toFixed(1)} MB, ` +
    `answered ${answered} (preprod ${preprod}), failed: ${failed}`
  );
}

function honestAnswered(run: ScanRun, plan: FleetPlan): boolean {
  return run.summary.answered === plan.honest && run.summary.preprod === plan.honestPreprod;
}

function targetsOf(runs: ScanRun[], plan: FleetPlan): BenchTarget[] {
  const [defaults, wide] = runs;
  const answered = (run: ScanRun): string =>
    `${run.summary.answered}/${plan.honest} (preprod ${run.summary.preprod}/${plan.honestPreprod})`;
  return [
    {
      label: `whole scan <= ${TARGET_SECONDS} s at the defaults`,
      measured: `${defaults.seconds.toFixed(2)} s`,
      pass: defaults.seconds <= TARGET_SECONDS,
    },
    {
      label: `peak RSS < ${TARGET_RSS_MB} MB at the defaults`,
      measured: `${defaults.maxRssMb.toFixed(1)} MB`,
      pass: defaults.maxRssMb < TARGET_RSS_MB,
    },
    {
      label: 'every honest node answered at the defaults',
      measured: answered(defaults),
      pass: honestAnswered(defaults, plan),
    },
    {
      label: `peak RSS < ${TARGET_RSS_MB} MB with --concurrency 4096`,
      measured: `${wide.maxRssMb.toFixed(1)} MB`,
      pass: wide.maxRssMb < TARGET_RSS_MB,
    },
    {
      label: 'every honest node answered with --concurrency 4096',
      measured: answered(wide),
      pass: honestAnswered(wide, plan),
    },
  ];
}

/**
 * The fake fleet stands in for 13,000 machines with CPUs of their own. On a
 * shared machine the neighbours' load would otherwise slow its replies (at a
 * load average of 13 on 2 cores, the 50-300 ms replies took 1.8 s at the
 * median), and the bench would measure the fake fleet. Its event loop runs
 * at nice -10 when allowed (root); the scanner keeps the normal priority, so
 * its own figures still include the machine's load.
 */
function shieldFleet(server: ChildProcess, log: (line: string) => void): boolean {
  try {
    setPriority(server.pid ?? 0, -10);
    log('The fake fleet runs at nice -10; the scanner at normal priority.');
    return true;
  } catch (error) {
    log(`The fake fleet runs at normal priority (${error instanceof Error ? error.message : String(error)}).`);
    return false;
  }
}

async function main(): Promise<{ result: import('./support/report').BenchResult; strict: boolean }> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const limits = openFilesLimits();
  log(
    `ulimit -n: soft ${limits?.soft ?? '?'}, hard ${limits?.hard ?? '?'}; ` +
      `realistic fleet of ${args.nodes} nodes, seed ${args.seed}`,
  );
  const server = startServerChild(
    'realisticFleetServer',
    [String(args.nodes), String(args.seed)],
    args.nodes + 2000,
    log,
  );
  const dir = mkdtempSync(join(tmpdir(), 'realistic-fleet-'));
  try {
    const ready = await waitReady<RealisticServerMessage>(server, 120_000);
    const fleetShielded = shieldFleet(server, log);
    const plan = ready.plan as FleetPlan;
    const targetsFile = join(dir, 'targets.txt');
    writeFileSync(targetsFile, (ready.targets ?? []).map((t) => `${formatTarget(t)}\n`).join(''));
    const { hostile } = plan;
    log(
      `Fleet: ${plan.honest} honest (${plan.honestPreprod} preprod, replies after 50-300 ms), ` +
        `${plan.blackHoles} black holes, ` +
        `hostile: ${hostile.drip} drip, ${hostile.huge} huge, ${hostile.nested} nested, ${hostile.sync} synchronised`,
    );
    const runs: ScanRun[] = [];
    for (const [label, extra] of [
      ['defaults', []],
      ['--concurrency 4096', ['--concurrency', '4096']],
    ] as const) {
      const run = await scan(server, label, ['--targets', targetsFile, ...extra], dir);
      log(`${describeRun(run)}; load average ${loadavg()[0].toFixed(1)}`);
      runs.push(run);
    }
    // For reading the figures, not a target: the simplest client on the same fleet in the same run.
    server.send({ type: 'start' });
    const bare = await runBare(ready.targets ?? [], SCAN_DEFAULTS.concurrency);
    log(`bare Node client, ${SCAN_DEFAULTS.concurrency} at once: ${bare.seconds.toFixed(2)} s (HTTP 200: ${bare.ok})`);
    const targets = targetsOf(runs, plan);
    printTargets(targets);
    const [defaults, wide] = runs;
    const headline =
      `${args.nodes}-node realistic fleet via the CLI: ${defaults.seconds.toFixed(1)} s, ` +
      `peak RSS ${defaults.maxRssMb.toFixed(0)} MB ` +
      `(--concurrency 4096: ${wide.seconds.toFixed(1)} s, ${wide.maxRssMb.toFixed(0)} MB; ` +
      `bare client ${bare.seconds.toFixed(1)} s; load ${loadavg()[0].toFixed(1)})`;
    // The machine is shared: its load during the run says how much of the time was ours.
    const figures = {
      loadAverage1m: Number(loadavg()[0].toFixed(2)),
      fleetShielded,
      bareClient: { seconds: Number(bare.seconds.toFixed(3)), ok: bare.ok },
      plan,
      runs: runs.map((r) => ({ ...r, seconds: Number(r.seconds.toFixed(3)), maxRssMb: Number(r.maxRssMb.toFixed(1)) })),
    };
    return { result: { bench: 'realisticFleet', headline, figures, targets }, strict: args.strict };
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench('realisticFleet', RUN_DEADLINE_MS, main);
