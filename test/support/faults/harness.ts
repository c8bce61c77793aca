/**
 * Parent side of the fault-injection tests: start bootChild.js, read its
 * stage lines, kill its whole process tree, and read back the state of a
 * checkout after the fact.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { BootResult } from '../../../src/boot/service';
import type { GitBed } from '../gitBed';
import type { BootChildArgs } from './bootChild';

export const BOOT_CHILD = path.join(__dirname, 'bootChild.js');
export const FAKE_INSTALL = path.join(__dirname, 'fakeInstall.js');

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningBoot {
  child: ChildProcess;
  /** Every stdout line so far (and, once `exited` resolved, every line the child wrote). */
  lines: string[];
  /** performance.now() when each line of `lines` arrived here, index for index. */
  times: number[];
  /** Resolves on the first line for which `match` is true. */
  waitForLine(match: (line: string) => boolean): Promise<string>;
  /** Resolves when the child has exited and its stdout is drained. */
  exited: Promise<ChildExit>;
  stderr(): string;
}

/**
 * Spawn bootChild.js with `args`, behind `wrapper` (an argv prefix such as
 * `['prlimit', '--fsize=...', '--']`) when given. No shell anywhere.
 */
export function startBoot(args: BootChildArgs, wrapper: string[] = []): RunningBoot {
  const argv = [...wrapper, process.execPath, BOOT_CHILD, JSON.stringify(args)];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const times: number[] = [];
  const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let pending = '';
  let stderr = '';
  const take = (line: string): void => {
    lines.push(line);
    times.push(performance.now());
    for (let i = waiters.length - 1; i >= 0; i -= 1) {
      if (waiters[i].match(line)) {
        waiters[i].resolve(line);
        waiters.splice(i, 1);
      }
    }
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    parts.forEach(take);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
  });
  const exited = new Promise<ChildExit>((resolve, reject) => {
    child.once('error', reject);
    // 'close': the process is gone and stdout is drained, so `lines` is complete.
    child.once('close', (code, signal) => {
      if (pending !== '') take(pending);
      pending = '';
      resolve({ code, signal });
    });
  });
  exited.catch(() => undefined);
  return {
    child,
    lines,
    times,
    exited,
    stderr: () => stderr,
    waitForLine(match) {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then(() =>
          reject(
            new Error(`The boot child exited without the awaited line; its output:\n${lines.join('\n')}\n${stderr}`),
          ),
        );
      });
    },
  };
}

/** Run a boot to its end and return its result (throws with the child's output when there is none). */
export async function runBoot(
  args: BootChildArgs,
  wrapper: string[] = [],
): Promise<{ result: BootResult; lines: string[]; exit: ChildExit }> {
  const boot = startBoot(args, wrapper);
  const exit = await boot.exited;
  const result = resultOf(boot.lines);
  if (result === null) {
    const output = `${boot.lines.join('\n')}\n${boot.stderr()}`;
    throw new Error(`The boot child gave no RESULT (exit ${exit.code ?? exit.signal}); its output:\n${output}`);
  }
  return { result, lines: boot.lines, exit };
}

export function resultOf(lines: string[]): (BootResult & { healthy?: boolean }) | null {
  const line = lines.find((l) => l.startsWith('RESULT '));
  return line === undefined ? null : JSON.parse(line.slice('RESULT '.length));
}

/** Direct children of every process, from /proc (ppid is field 4 of /proc/<pid>/stat). */
async function childrenByParent(): Promise<Map<number, number[]>> {
  const map = new Map<number, number[]>();
  const entries = (await fs.readdir('/proc')).filter((e) => /^\d+$/.test(e));
  await Promise.all(
    entries.map(async (entry) => {
      const stat = await fs.readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
      if (stat === null) return;
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = map.get(ppid) ?? [];
      list.push(Number(entry));
      map.set(ppid, list);
    }),
  );
  return map;
}

async function descendantsOf(root: number): Promise<number[]> {
  const map = await childrenByParent();
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of map.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: gone already.
  }
}

/**
 * SIGKILL `root` and every process below it at one instant, as systemd does
 * with a service's cgroup (and pm2 with its tree-kill): git children and the
 * install, which run in process groups of their own, die with the host.
 * The tree is frozen with SIGSTOP first, until no new process appears, so
 * nothing escapes by forking or by being reparented while we look.
 */
export async function killTree(root: number): Promise<number> {
  signal(root, 'SIGSTOP');
  let known = new Set<number>();
  for (let pass = 0; pass < 20; pass += 1) {
    const now = await descendantsOf(root);
    const fresh = now.filter((pid) => !known.has(pid));
    fresh.forEach((pid) => signal(pid, 'SIGSTOP'));
    known = new Set([...known, ...now]);
    if (fresh.length === 0) break;
  }
  for (const pid of [root, ...known]) signal(pid, 'SIGKILL');
  return known.size + 1;
}

/** Every file under `dir` whose name ends in `.lock` (relative paths). */
export async function lockFilesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await fs.readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.lock')) found.push(path.relative(dir, full));
    }
  };
  await walk(dir);
  return found.sort();
}

export interface CheckoutState {
  /** `refs/heads/<b>` HEAD points at, null when detached. */
  branch: string | null;
  head: string;
  localMaster: string;
  /** `git status --porcelain --untracked-files=all`: empty when clean apart from ignored files. */
  status: string;
  /** Lock files anywhere in .git. */
  gitLocks: string[];
}

export async function checkoutState(bed: GitBed, dir: string): Promise<CheckoutState> {
  const symbolic = await bed.git(dir, 'symbolic-ref', '-q', 'HEAD').catch(() => '');
  return {
    branch: symbolic.startsWith('refs/heads/') ? symbolic.slice('refs/heads/'.length) : null,
    head: await bed.git(dir, 'rev-parse', 'HEAD'),
    localMaster: await bed.git(dir, 'rev-parse', 'refs/heads/master'),
    status: await bed.git(dir, 'status', '--porcelain', '--untracked-files=all'),
    gitLocks: await lockFilesUnder(path.join(dir, '.git')),
  };
}
