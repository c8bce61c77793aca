/**
 * Runs the built CLI (`node build/src/cli.js ...`) the way a user does: a
 * real process, argv without a shell, stdout/stderr captured, a deadline.
 * Also a few helpers the end-to-end suites share: a settings file for a git
 * bed, plain HTTP on 127.0.0.1, and the checks every CLI error must pass.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

/** build/test/support → build/src/cli.js */
export const CLI_PATH = path.resolve(__dirname, '..', '..', 'src', 'cli.js');
/** The package root (where package.json is), two levels above build/. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface CliResult {
  /** Exit code; null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in ms. */
  ms: number;
  /** The deadline was reached and the process was killed. */
  timedOut: boolean;
}

export interface CliOptions {
  cwd?: string;
  /** Merged over process.env. */
  env?: NodeJS.ProcessEnv;
  /** Kill with SIGKILL after this many ms. Default 30000. */
  timeoutMs?: number;
}

/** The environment a CLI process gets: never the debug switch that adds stack traces. */
function cliEnv(extra: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!extra || !('FLUXOS_PREPROD_DEBUG' in extra)) delete env.FLUXOS_PREPROD_DEBUG;
  return env;
}

export interface RunningCli {
  child: ChildProcess;
  /** What the process wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout (or stderr), rejects on exit or after timeoutMs. */
  waitFor(pattern: RegExp, options?: { stream?: 'stdout' | 'stderr'; timeoutMs?: number }): Promise<RegExpMatchArray>;
  /**
   * Resolves when the process has exited and its output pipes are closed (by it and by every child that
   * inherited them).
   */
  exited: Promise<CliResult>;
  /** Resolves as soon as the process itself has exited, even while a child it left behind still holds its pipes. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to the process (or to its process group when started detached). */
  signal(signal: NodeJS.Signals): void;
}

/** Starts `command args` without a shell and keeps its output; for long-running commands (serve, demo). */
export function startProcess(
  command: string,
  args: string[],
  options: CliOptions & { detached?: boolean } = {},
): RunningCli {
  const started = Date.now();
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd ?? PACKAGE_ROOT,
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
    shell: false,
  };
  const child = spawn(command, args, spawnOptions);
  let out = '';
  let err = '';
  let timedOut = false;
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    notify();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    notify();
  });
  const deadline = setTimeout(() => {
    timedOut = true;
    killTree(child, options.detached ?? false, 'SIGKILL');
  }, options.timeoutMs ?? 30_000);
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    // 'close' (not 'exit'): all output has been read by then.
    child.once('close', (code, signal) => {
      clearTimeout(deadline);
      notify();
      resolve({ code, signal, stdout: out, stderr: err, ms: Date.now() - started, timedOut });
    });
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  let closed = false;
  void exited.then(
    () => (closed = true),
    () => (closed = true),
  );

  const waitFor = (pattern: RegExp, waitOptions: { stream?: 'stdout' | 'stderr'; timeoutMs?: number } = {}) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const text = () => (waitOptions.stream === 'stderr' ? err : out);
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        const match = text().match(pattern);
        if (match) {
          finish();
          resolve(match);
        } else if (closed) {
          finish();
          reject(
            new Error(
              `The process exited before printing ${pattern}; stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`,
            ),
          );
        }
      };
      const finish = () => {
        listeners.delete(check);
        if (timer) clearTimeout(timer);
      };
      timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `No ${pattern} within ${waitOptions.timeoutMs ?? 20_000} ms; ` +
              `stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`,
          ),
        );
      }, waitOptions.timeoutMs ?? 20_000);
      listeners.add(check);
      void exited.then(check, check);
      check();
    });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    exited,
    exit,
    signal: (signal) => killTree(child, options.detached ?? false, signal),
  };
}

function killTree(child: ChildProcess, group: boolean, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (group) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone.
  }
}

/** Starts the built CLI with these arguments. */
export function startCli(args: string[], options: CliOptions & { detached?: boolean } = {}): RunningCli {
  return startProcess(process.execPath, [CLI_PATH, ...args], options);
}

/** Runs the built CLI to completion. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).exited;
}

/** Wall time of starting and stopping an empty node process, in ms: the floor under every CLI run. */
export async function nodeStartMs(): Promise<number> {
  const started = Date.now();
  await startProcess(process.execPath, ['-e', '0']).exited;
  return Date.now() - started;
}

/** build/test/support → build/src/cli/main.js: the program, run in-process by `modulesLoadedBy`. */
const CLI_MAIN_PATH = path.resolve(__dirname, '..', '..', 'src', 'cli', 'main.js');

/**
 * Runs `main(args)` of the built CLI in a fresh node process (its output discarded) and returns its exit
 * code and every module that process loaded (absolute paths): what starting that command costs.
 */
export async function modulesLoadedBy(args: string[]): Promise<{ code: number; modules: string[] }> {
  const script = [
    `const sink = { write: () => true };`,
    `require(${JSON.stringify(CLI_MAIN_PATH)})`,
    `  .main(JSON.parse(process.argv[1]), { stdout: sink, stderr: sink })`,
    `  .then((code) => process.stdout.write(JSON.stringify({ code, modules: Object.keys(require.cache) })));`,
  ].join('\n');
  const run = await startProcess(process.execPath, ['-e', script, JSON.stringify(args)]).exited;
  if (run.code !== 0) throw new Error(`The module probe failed: ${describeRun(run)}`);
  return JSON.parse(run.stdout) as { code: number; modules: string[] };
}

/** Lines of a stack trace ("    at fn (file:1:2)"): never on a CLI's stderr. */
export const STACK_LINE = /^\s+at /m;

/** The stderr lines that are not the CLI's winston log lines (timestamped). */
export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => !/^\d{4}-\d{2}-\d{2}T\S+ (error|warn|info|debug) fluxos-preprod: /.test(line));
}

/**
 * The failure report of a run, for assertion messages: exit code and the
 * tail of both streams.
 */
export function describeRun(run: CliResult): string {
  const exit = `exit ${run.code} (signal ${run.signal}) after ${run.ms} ms`;
  return `${exit}\n--- stdout ---\n${run.stdout.slice(-3000)}\n--- stderr ---\n${run.stderr.slice(-3000)}`;
}

/**
 * Writes `<dir>/<name>` holding `{"preProd": {...}}`: the bed's upstream as the
 * remote, probability 1 unless told, and an install command that does nothing
 * (a test must never run a real `npm install`).
 */
export async function writeSettingsFile(dir: string, name: string, preProd: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, name);
  const settings = { preProd: { installCommand: [process.execPath, '-e', '0'], fetchTimeoutMs: 5000, ...preProd } };
  await fs.writeFile(file, `${JSON.stringify(settings, null, 2)}\n`);
  return file;
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request on 127.0.0.1 with a deadline; the body is read whole. */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 5000, () =>
      req.destroy(new Error(`No answer from ${url} within ${options.timeoutMs ?? 5000} ms.`)),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends raw bytes and collects what comes back until the server closes (or the deadline). */
export function rawExchange(
  port: number,
  payload: string | Buffer,
  timeoutMs = 5000,
): Promise<{ reply: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply, closedByServer: false });
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A server that resets after answering still answered.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return;
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ reply, closedByServer: true });
    });
  });
}

/** Resolves with the connect error code for 127.0.0.1:port, or 'connected'. */
export function probePort(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/** Reads a file's bytes, or null when it does not exist. */
export async function bytesOrNull(file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Whether anything (file or directory) is at `file`. */
export async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Pids of the live processes in process group `pgid` (Linux /proc); empty where /proc is missing. */
export async function processesInGroup(pgid: number): Promise<number[]> {
  let entries: string[];
  try {
    entries = await fs.readdir('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}
