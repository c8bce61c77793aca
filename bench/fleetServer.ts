/**
 * Child process of the fleet scan bench: serves a fake fleet of healthy nodes
 * (7% preprod) on loopback and sends their addresses to the parent over IPC.
 * It lives in its own process so the scanner's RSS is measured alone. It
 * exits when the parent disconnects, and on its own after a deadline.
 *
 * Usage (from the bench): node build/bench/fleetServer.js <nodes> [deadlineMs]
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeFleet, type FakeNodeSpec } from '../test/support/fakeFleet';

const BASE_PORT = 20000;
const PORTS_PER_HOST = 6000;

export interface ServerMessage {
  type: 'ready' | 'error';
  targets?: { host: string; port: number }[];
  message?: string;
  openFilesSoftLimit?: number;
}

function send(message: ServerMessage): void {
  process.send?.(message);
}

/** The soft and hard limits on open files, from /proc (Node has no getrlimit). */
export function openFilesLimits(): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const fields = line?.split(/\s{2,}/);
    if (!fields || fields.length < 3) return undefined;
    const value = (text: string): number => (text === 'unlimited' ? Infinity : Number(text));
    return { soft: value(fields[1]), hard: value(fields[2]) };
  } catch {
    return undefined;
  }
}

/**
 * Starts a fake-fleet child (a script of this folder, by file name without
 * `.js`) with an IPC channel, raising its open-files soft limit with prlimit
 * when `needed` descriptors exceed it and the hard limit allows.
 */
export function startServerChild(
  script: string,
  args: string[],
  needed: number,
  log: (line: string) => void,
): ChildProcess {
  const file = join(__dirname, `${script}.js`);
  const limits = openFilesLimits();
  const stdio: ('ignore' | 'inherit' | 'ipc')[] = ['ignore', 'inherit', 'inherit', 'ipc'];
  if (limits && limits.soft < needed && limits.hard >= needed && existsSync('/usr/bin/prlimit')) {
    log(`Raising the child's open-files soft limit ${limits.soft} -> ${limits.hard} with prlimit.`);
    return spawn('/usr/bin/prlimit', [`--nofile=${limits.hard}:${limits.hard}`, process.execPath, file, ...args], {
      stdio,
    });
  }
  return fork(file, args, { stdio });
}

/** The child's first message: resolves on `ready`, rejects on `error`, an early exit or after `timeoutMs`. */
export function waitReady<T extends { type: string; message?: string }>(
  child: ChildProcess,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The fake fleet was not ready within ${timeoutMs} ms.`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The fake fleet exited early with code ${code}.`));
    });
    child.once('message', (message: T) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve(message);
      else reject(new Error(message.message ?? 'The fake fleet failed to start.'));
    });
  });
}

async function main(): Promise<void> {
  const nodes = Number(process.argv[2]);
  const deadlineMs = Number(process.argv[3] ?? 300_000);
  if (!Number.isInteger(nodes) || nodes < 1) {
    send({ type: 'error', message: `Expected \`nodes\` to be a positive integer, got ${process.argv[2]}.` });
    process.exit(2);
  }
  setTimeout(() => process.exit(0), deadlineMs).unref();
  process.on('disconnect', () => process.exit(0));

  const soft = openFilesLimits()?.soft;
  // One descriptor per listening port, plus the connections in flight and Node's own.
  if (soft !== undefined && soft < nodes + 600) {
    send({
      type: 'error',
      message: `Open-files soft limit ${soft} is too low for ${nodes} listening ports.`,
      openFilesSoftLimit: soft,
    });
    process.exit(1);
  }
  const specs = Array.from(
    { length: nodes },
    (_, i): FakeNodeSpec => ({ kind: i % 100 < 7 ? 'preprod' : 'production' }),
  );
  // Fixed ports 20000.. on 127.0.0.2, 127.0.0.3, ...: below the ephemeral range (32768..), so a
  // re-run is not blocked by the last run's TIME_WAIT sockets, and off 127.0.0.1 where others listen.
  const hostCount = Math.ceil(nodes / PORTS_PER_HOST);
  const hosts = Array.from({ length: hostCount }, (_, i) => `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`);
  const fleet = await startFakeFleet(specs, { hosts, basePort: BASE_PORT });
  send({ type: 'ready', targets: fleet.targets, openFilesSoftLimit: soft });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
}
