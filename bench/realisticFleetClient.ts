/**
 * The simplest Node client for a fleet: one GET per node over its own
 * connection, the body read and dropped, a plain deadline per node, no caps,
 * no checks. What the machine does right now without the scanner, measured
 * in the same run as the scanner so that the machine's load falls on both
 * (fleetScan.bench.ts, realisticFleet.bench.ts).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Target } from '../src/fleet/targets';

export interface BareRun {
  seconds: number;
  /** Nodes that answered HTTP 200 with a complete body. */
  ok: number;
}

function fetchOne(target: Target, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const createConnection = (): net.Socket => net.createConnection({ host: target.host, port: target.port });
    const options = { host: target.host, port: target.port, path: '/flux/info', createConnection };
    const req = http.request({ ...options, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    const timer = setTimeout(() => req.destroy(), timeoutMs);
    req.on('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function runBare(targets: readonly Target[], concurrency: number, timeoutMs = 5000): Promise<BareRun> {
  let next = 0;
  let ok = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      next += 1;
      if (await fetchOne(targets[next - 1], timeoutMs)) ok += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  return { seconds: (performance.now() - started) / 1000, ok };
}
