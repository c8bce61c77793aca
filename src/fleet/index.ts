/** The fleet view: scan many nodes' /flux/info and summarise the preprod share. */
import { aggregate, type FleetSummary } from './aggregate';
import { createProgress } from './progress';
import { scanFleet, type NodeResult } from './scan';
import type { Target } from './targets';

export * from './targets';
export * from './scan';
export * from './aggregate';
export * from './report';
export * from './progress';

export interface RunFleetOptions {
  targets: readonly Target[];
  /** Fetches in flight at once. Default 256. */
  concurrency?: number;
  /** Deadline per node (connect + whole body), ms. Default 5000. */
  timeoutMs?: number;
  /** Response size cap per node, bytes. Default 1 MiB. */
  maxBytes?: number;
  /** The configured preprod probability the observed share is compared with. */
  probability: number;
  /** Where to draw a progress bar; drawn only when it is a TTY. */
  progressStream?: NodeJS.WriteStream;
  /** Stops the scan early; the summary then counts unfinished nodes as failed `aborted`. */
  signal?: AbortSignal;
  /** Receives every node's result, e.g. for a per-node listing. */
  onNode?: (result: NodeResult) => void;
}

/** Scans the targets and summarises them. Never rejects because of what a node sends. */
export async function runFleet(options: RunFleetOptions): Promise<FleetSummary> {
  const progress = options.progressStream ? createProgress(options.progressStream, options.targets.length) : undefined;
  try {
    const results = await scanFleet(options.targets, {
      concurrency: options.concurrency,
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      signal: options.signal,
      onResult: (done, _total, result) => {
        progress?.update(done);
        options.onNode?.(result);
      },
    });
    return aggregate(results, { probability: options.probability });
  } finally {
    progress?.stop();
  }
}
