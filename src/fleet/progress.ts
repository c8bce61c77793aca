/**
 * A progress bar for long scans, drawn only on a terminal: piped or redirected
 * output (`--json > file`, CI logs) stays free of cursor movements.
 */
import * as cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream, total: number): Progress {
  if (stream.isTTY !== true) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'Scanning {bar} {value}/{total} nodes | {percentage}% | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      // The CLI owns SIGINT/SIGTERM: a listener here would stop Ctrl-C from ending the process.
      gracefulExit: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  let stopped = false;
  return {
    update(done: number): void {
      if (!stopped) bar.update(done);
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
