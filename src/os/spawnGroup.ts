import { spawn, type ChildProcess } from 'node:child_process';
import { groupAlive } from './procfs';

/**
 * The one way the package runs a command that may start grandchildren (git's
 * remote helpers, npm's lifecycle scripts, node-gyp) under a deadline: in its
 * own process group (spawned detached), so a deadline reaches the whole
 * group. At the deadline the group gets SIGTERM (git removes its lock files,
 * npm stops), then SIGKILL after a grace period, and the call returns once no
 * live process of the group is left. If the host exits meanwhile (a restart),
 * the group is killed with it: a detached group would otherwise outlive the
 * host and race the next boot over the same files. No shell, ever.
 */

export interface GroupRunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Deadline of the whole run, in ms; 0 or less times out without spawning. */
  timeoutMs: number;
  /** After SIGTERM, how long the group gets before SIGKILL, in ms. Default 2000. */
  graceMs?: number;
  /** Keep stdout (up to 1 MiB); otherwise it goes nowhere. Default false. */
  captureStdout?: boolean;
  /** Bytes of stderr kept, from its end. Default 8192. */
  stderrTailBytes?: number;
  /** Run as this user and group (the checkout's owner when we are root). */
  uid?: number;
  gid?: number;
  /** Told the group's id (its leader's pid) once it is spawned. */
  onSpawn?: (pid: number) => void;
}

export type GroupOutcome =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'error'; error: Error }
  | { kind: 'timeout' };

export interface GroupRun {
  outcome: GroupOutcome;
  /** Captured stdout ('' unless captureStdout). */
  stdout: string;
  /** The last stderrTailBytes of stderr. */
  stderr: string;
  ms: number;
}

const DEFAULT_GRACE_MS = 2000;
/** After the child exits, how long to wait for the last output bytes (a grandchild may hold the pipes). */
const DRAIN_MS = 200;
const STDOUT_CAP_BYTES = 1024 * 1024;
const DEFAULT_STDERR_TAIL_BYTES = 8192;

/** Signals a whole process group (spawned detached, so its pgid is the leader's pid); a gone group is fine. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Run `command args` in its own process group under a deadline (see the module comment). */
export async function runGroup(command: string, args: readonly string[], options: GroupRunOptions): Promise<GroupRun> {
  const started = Date.now();
  if (!(options.timeoutMs > 0)) return { outcome: { kind: 'timeout' }, stdout: '', stderr: '', ms: 0 };
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    shell: false,
    stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe'],
    windowsHide: true,
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  });
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  const output = collectOutput(child, options.stderrTailBytes ?? DEFAULT_STDERR_TAIL_BYTES);
  const exited = new Promise<GroupOutcome>((resolve) => {
    child.once('exit', (code, signal) => resolve({ kind: 'exit', code, signal }));
    child.once('error', (error) => resolve({ kind: 'error', error }));
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const onHostExit = (): void => {
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  };
  process.once('exit', onHostExit);

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<GroupOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), options.timeoutMs);
  });
  const outcome = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (outcome.kind === 'timeout' && child.pid !== undefined) {
    await stopGroup(child.pid, exited, graceMs);
  } else if (outcome.kind === 'exit') {
    // A grandchild that inherited a pipe can keep it open after the child exits; do not wait on it forever.
    await Promise.race([closed, delay(DRAIN_MS)]);
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
  process.removeListener('exit', onHostExit);
  return { outcome, stdout: output.stdout(), stderr: output.stderr(), ms: Date.now() - started };
}

/** SIGTERM, a grace period, SIGKILL for what is left (grandchildren may ignore TERM), then wait until it is gone. */
async function stopGroup(pgid: number, exited: Promise<unknown>, graceMs: number): Promise<void> {
  killGroup(pgid, 'SIGTERM');
  await Promise.race([exited, delay(graceMs)]);
  killGroup(pgid, 'SIGKILL');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && (await groupAlive(pgid))) await delay(20);
}

function collectOutput(child: ChildProcess, stderrTailBytes: number): { stdout(): string; stderr(): string } {
  const out: Buffer[] = [];
  let outBytes = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    if (outBytes >= STDOUT_CAP_BYTES) return;
    out.push(chunk);
    outBytes += chunk.length;
  });
  const tail = new TailBuffer(stderrTailBytes);
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  return {
    stdout: () => Buffer.concat(out).subarray(0, STDOUT_CAP_BYTES).toString('utf8'),
    stderr: () => tail.text(),
  };
}

/** Keeps the last `limit` bytes of a stream. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0].length >= this.limit) {
      this.size -= this.chunks[0].length;
      this.chunks.shift();
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}
