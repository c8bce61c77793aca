/**
 * /flux/info bench (docs/design.md §6: no git and no database per request):
 * requests per second from
 * - ours: startFluxInfoServer() with the fluxInfo of a service that really
 *   booted (and switched to preprod) on a local git bed;
 * - baseline: what the seed did, `git rev-parse --abbrev-ref HEAD` per request
 *   against the same checkout, then serialise the same fields;
 * - constant: a precomputed Buffer of the same bytes (the limit of node's
 *   http server and of the load tool on this machine).
 * Each server runs in its own child process with the same http options; the
 * load (autocannon) runs in this process, with the same connections,
 * duration and pipelining for all.
 *
 * The machine is shared, so other work comes and goes during a run. Each
 * round loads the three servers back to back (ours and constant next to each
 * other, the order reversed every other round), a ratio is taken within each
 * round, and the verdict rests on the median of the per-round ratios: a busy
 * moment then weighs on one round, not on one variant. Req/s per variant are
 * the median over rounds.
 *
 * Targets: ours >= 20x baseline, ours >= 0.8x constant.
 *
 * Usage: node build/bench/fluxInfo.bench.js [--connections 50] [--duration 3]
 *          [--rounds 5] [--strict]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createGitBed } from '../test/support/gitBed';
import type { FailedMessage, ReadyMessage, Variant } from './support/fluxInfoServer';
import { load, type LoadResult } from './support/load';
import { printTargets, runBench, type BenchResult, type BenchTarget } from './support/report';
import { median, round } from './support/stats';

const TARGET_VS_BASELINE = 20;
const TARGET_VS_CONSTANT = 0.8;
const WARMUP_SECONDS = 1;
const DEADLINE_MS = 240_000;
/** Ours and constant side by side: their ratio is the one noise can blur. */
const VARIANTS: Variant[] = ['ours', 'constant', 'baseline'];

interface Args {
  connections: number;
  duration: number;
  rounds: number;
  strict: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { connections: 50, duration: 3, rounds: 5, strict: false };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const whole = (min: number, max: number): number => {
      const value = Number(argv[(i += 1)]);
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new Error(`Expected \`${flag}\` to be a whole number from ${min} to ${max}, got ${String(argv[i])}.`);
      }
      return value;
    };
    if (flag === '--connections') args.connections = whole(1, 1000);
    else if (flag === '--duration') args.duration = whole(1, 60);
    else if (flag === '--rounds') args.rounds = whole(1, 10);
    else if (flag === '--strict') args.strict = true;
    else throw new Error(`Expected a known option, got ${flag}.`);
  }
  return args;
}

interface Server {
  child: ChildProcess;
  ready: ReadyMessage;
}

function startServer(args: string[]): Promise<Server> {
  const child = fork(path.join(__dirname, 'support', 'fluxInfoServer.js'), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The ${args[0]} server was not ready within 30 s.`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The ${args[0]} server exited early with code ${code}.`));
    });
    child.once('message', (message: ReadyMessage | FailedMessage) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve({ child, ready: message });
      else reject(new Error(`The ${args[0]} server failed to start: ${message.message}`));
    });
  });
}

function get(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error(`No answer from ${url} within 5 s.`)));
    req.on('error', reject);
  });
}

async function main(): Promise<{ result: BenchResult; strict: boolean }> {
  const args = parseArgs(process.argv.slice(2));
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(
    `fluxInfo: autocannon, ${args.connections} connections, pipelining 1, ${args.duration} s per run, ` +
      `${args.rounds} rounds, order reversed every other round (+${WARMUP_SECONDS} s warm-up each); ` +
      'servers in child processes on 127.0.0.1',
  );

  const bed = await createGitBed();
  const servers: Server[] = [];
  try {
    const checkout = await bed.cloneNode('node');
    const bodyFile = path.join(bed.dir, 'flux-info-body.json');

    const ours = await startServer(['ours', checkout, bed.upstream, path.join(bed.dir, 'state.json')]);
    servers.push(ours);
    out(`ours:     ${ours.ready.url}  (${ours.ready.note})`);
    const reference = await get(ours.ready.url);
    const parsed = JSON.parse(reference.body.toString('utf8')) as { data: { flux: { preProdNode: boolean } } };
    if (reference.status !== 200 || parsed.data.flux.preProdNode !== true) {
      throw new Error(
        `Our server did not answer as a booted preprod node: ${reference.status} ${reference.body.toString('utf8')}`,
      );
    }
    writeFileSync(bodyFile, reference.body);

    const baseline = await startServer(['baseline', checkout, bodyFile]);
    servers.push(baseline);
    out(`baseline: ${baseline.ready.url}  (${baseline.ready.note})`);
    const constant = await startServer(['constant', bodyFile]);
    servers.push(constant);
    out(`constant: ${constant.ready.url}  (${constant.ready.note})`);

    const urls: Record<Variant, string> = {
      ours: ours.ready.url,
      baseline: baseline.ready.url,
      constant: constant.ready.url,
    };
    for (const variant of VARIANTS) {
      const answer = await get(urls[variant]);
      // Same bytes on the wire, so the comparison is about the work per request only.
      if (answer.status !== 200 || !answer.body.equals(reference.body)) {
        throw new Error(
          `The ${variant} server's answer differs from ours: ${answer.status} ${answer.body.toString('utf8')}`,
        );
      }
    }
    out(`body: ${reference.body.length} bytes from each server`);

    for (const variant of VARIANTS) {
      await load({ url: urls[variant], connections: args.connections, duration: WARMUP_SECONDS, pipelining: 1 });
    }

    const runs: Record<Variant, LoadResult[]> = { ours: [], baseline: [], constant: [] };
    for (let round = 0; round < args.rounds; round += 1) {
      const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        const result = await load({
          url: urls[variant],
          connections: args.connections,
          duration: args.duration,
          pipelining: 1,
        });
        runs[variant].push(result);
        out(
          `round ${round + 1} ${variant.padEnd(8)} ${Math.round(result.rps).toString().padStart(7)} req/s  ` +
            `p50 ${result.latencyP50Ms} ms  p99 ${result.latencyP99Ms} ms  ` +
            `errors ${result.errors}  timeouts ${result.timeouts}  non-2xx ${result.non2xx}`,
        );
      }
    }

    const rps = (variant: Variant): number => median(runs[variant].map((r) => r.rps));
    const failures = VARIANTS.reduce(
      (n, v) => n + runs[v].reduce((m, r) => m + r.errors + r.timeouts + r.non2xx, 0),
      0,
    );
    const perRound = Array.from({ length: args.rounds }, (_, i) => ({
      vsBaseline: runs.ours[i].rps / runs.baseline[i].rps,
      vsConstant: runs.ours[i].rps / runs.constant[i].rps,
    }));
    const vsBaseline = median(perRound.map((r) => r.vsBaseline));
    const vsConstant = median(perRound.map((r) => r.vsConstant));
    out('');
    out(`req/s ours      ${Math.round(rps('ours'))}  (median of ${args.rounds} rounds)`);
    out(`req/s baseline  ${Math.round(rps('baseline'))}  (git per request)`);
    out(`req/s constant  ${Math.round(rps('constant'))}  (precomputed buffer)`);
    const perRoundBaseline = perRound.map((r) => `${round(r.vsBaseline, 1)}x`).join(', ');
    out(`ours / baseline ${round(vsBaseline, 1)}x  (median of per-round ratios: ${perRoundBaseline})`);
    const perRoundConstant = perRound.map((r) => `${round(r.vsConstant, 2)}x`).join(', ');
    out(`ours / constant ${round(vsConstant, 2)}x  (median of per-round ratios: ${perRoundConstant})`);
    const constantRps = runs.constant.map((r) => r.rps);
    const spread = Math.max(...constantRps) / Math.min(...constantRps);
    out(
      `noise: the same constant server ranged ` +
        `${Math.round(Math.min(...constantRps))}–${Math.round(Math.max(...constantRps))} req/s ` +
        `across rounds (${round(spread, 2)}x); a ratio to constant above 1 is within that noise`,
    );
    out(`errors + timeouts + non-2xx over all runs: ${failures}`);

    const targets: BenchTarget[] = [
      {
        label: `ours >= ${TARGET_VS_BASELINE}x the git-per-request baseline`,
        measured: `${round(vsBaseline, 1)}x`,
        pass: vsBaseline >= TARGET_VS_BASELINE,
      },
      {
        label: `ours >= ${TARGET_VS_CONSTANT}x the constant-body server`,
        measured: `${round(vsConstant, 2)}x`,
        pass: vsConstant >= TARGET_VS_CONSTANT,
      },
      { label: 'no errors, timeouts or non-2xx answers', measured: `${failures}`, pass: failures === 0 },
    ];
    printTargets(targets);

    return {
      strict: args.strict,
      result: {
        bench: 'fluxInfo',
        headline:
          `ours ${Math.round(rps('ours'))} req/s, baseline ${Math.round(rps('baseline'))}, ` +
          `constant ${Math.round(rps('constant'))}; ` +
          `${round(vsBaseline, 1)}x baseline, ${round(vsConstant, 2)}x constant`,
        figures: {
          connections: args.connections,
          durationSeconds: args.duration,
          rounds: args.rounds,
          bodyBytes: reference.body.length,
          rps: {
            ours: Math.round(rps('ours')),
            baseline: Math.round(rps('baseline')),
            constant: Math.round(rps('constant')),
          },
          ratios: {
            vsBaseline: round(vsBaseline, 1),
            vsConstant: round(vsConstant, 2),
            perRound: perRound.map((r) => ({ vsBaseline: round(r.vsBaseline, 1), vsConstant: round(r.vsConstant, 2) })),
          },
          runs: Object.fromEntries(VARIANTS.map((v) => [v, runs[v].map((r) => ({ ...r, rps: Math.round(r.rps) }))])),
          failures,
          constantSpread: round(spread, 2),
        },
        targets,
      },
    };
  } finally {
    for (const server of servers) {
      server.child.removeAllListeners('exit');
      server.child.kill('SIGTERM');
    }
    await bed.cleanup();
  }
}

if (require.main === module) runBench('fluxInfo', DEADLINE_MS, main);
