/**
 * A progress bar while a long history loads, drawn on stderr only when it is
 * a terminal (piped output and --json stay clean). Shown only for histories
 * big enough to take a moment.
 */
import * as cliProgress from 'cli-progress';

export interface LoadProgress {
  update(done: number, total: number): void;
  stop(): void;
}

/** Below this many bytes a history loads too fast for a bar to help. */
const MIN_BYTES = 4 * 1024 * 1024;

export function createLoadProgress(
  stream: NodeJS.WriteStream,
  label = 'Loading history',
  minTotal = MIN_BYTES,
): LoadProgress {
  if (stream.isTTY !== true) return { update() {}, stop() {} };
  let bar: cliProgress.SingleBar | null = null;
  let stopped = false;
  return {
    update(done: number, total: number): void {
      if (stopped || total < minTotal) return;
      if (bar === null) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${label} {bar} {percentage}% | ETA {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: true,
            // The CLI owns SIGINT/SIGTERM: a listener here would stop Ctrl-C from ending the process.
            gracefulExit: false,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0);
      }
      bar.update(done);
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      bar?.stop();
    },
  };
}
