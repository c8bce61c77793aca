import { spawn, type ChildProcess } from 'node:child_process';
import { EVENT_PREFIX, type BedAppEvent } from './bedApp';

/** A supervisor process tree started in its own process group, with the bed app's events collected as they arrive. */
export interface Supervised {
  readonly events: BedAppEvent[];
  /**
   * Resolves with the first event (already seen or still to come) that matches; rejects when the tree
   * exits, or at `timeoutMs`, which is there to catch a hang, not to time anything.
   */
  waitFor<T extends BedAppEvent>(
    what: string,
    match: (event: BedAppEvent) => event is T,
    timeoutMs: number,
  ): Promise<T>;
  /** Everything printed so far, for failure messages. */
  transcript(): string;
  /** Stops the whole process group (SIGTERM, then SIGKILL if it lingers), waits for its output to end; idempotent. */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 3000;

export function startSupervised(
  program: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Supervised {
  const child: ChildProcess = spawn(program, args, {
    cwd: options.cwd,
    env: options.env,
    // Its own group, so stop() reaches the supervisor and every child it started.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: BedAppEvent[] = [];
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let exited = false;
  // 'close' comes after the last output, so a stopped tree's final lines are in the transcript.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('exit', () => {
    exited = true;
    for (const listener of listeners) listener();
  });

  const reader = (stream: NodeJS.ReadableStream | null, name: string) => {
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(`${name}: ${line}`);
        if (line.startsWith(EVENT_PREFIX)) {
          try {
            events.push(JSON.parse(line.slice(EVENT_PREFIX.length)) as BedAppEvent);
          } catch {
            // a torn line is in the transcript; the test fails on what is missing
          }
        }
      }
      for (const listener of listeners) listener();
    });
  };
  reader(child.stdout, 'out');
  reader(child.stderr, 'err');

  const transcript = () => lines.join('\n');

  const waitFor = <T extends BedAppEvent>(
    what: string,
    match: (event: BedAppEvent) => event is T,
    timeoutMs: number,
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      const check = () => {
        const found = events.find(match);
        if (found) done(() => resolve(found));
        else if (exited) done(() => reject(new Error(`The supervised tree exited before ${what}.\n${transcript()}`)));
      };
      timer = setTimeout(
        () => done(() => reject(new Error(`No ${what} within ${timeoutMs} ms.\n${transcript()}`))),
        timeoutMs,
      );
      listeners.add(check);
      check();
    });

  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };

  const stop = async (): Promise<void> => {
    if (!exited) killGroup('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
    clearTimeout(timer);
    // Children that outlived the leader (or ignored SIGTERM) go too.
    killGroup('SIGKILL');
  };

  return { events, waitFor, transcript, stop };
}
