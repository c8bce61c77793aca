/**
 * What every command gets from the program that registers it (docs/design.md §8): where to write, how to
 * set the exit code, and, for the long-running commands, how to wait for a stop signal and leave cleanly.
 */

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

export interface CliContext extends CliIo {
  print(text: string): void;
  /** Prints one JSON document: with --json, stdout holds exactly this. */
  printJson(value: unknown): void;
  setExit(code: number): void;
  /**
   * Called by the long-running commands (serve, demo) once they have cleaned up: the process then leaves
   * through process.exit() rather than letting the event loop drain. That shrinks the window in which node
   * has already closed its signal watchers (putting SIGINT/SIGTERM back to their default, fatal action) but
   * not yet exited, so a second Ctrl-C during shutdown does not turn a clean exit 0 into death by signal.
   */
  exitWhenDone(): void;
}

export function createContext(io: CliIo, setExit: (code: number) => void, exitWhenDone: () => void): CliContext {
  const print = (text: string): void => void io.stdout.write(text);
  return {
    stdout: io.stdout,
    stderr: io.stderr,
    print,
    printJson: (value) => print(`${JSON.stringify(value, null, 2)}\n`),
    setExit,
    exitWhenDone,
  };
}

/**
 * Resolves on the first SIGINT or SIGTERM. The handlers stay installed: a
 * second signal during shutdown (Ctrl-C pressed twice, or npm forwarding the
 * signal the process group already got) must not kill the process half-way
 * through its cleanup.
 */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | null = null;
    const done = (signal: NodeJS.Signals) => {
      if (first !== null) return;
      first = signal;
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
