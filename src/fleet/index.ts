/** The fleet view: scan many nodes' /flux/info and summarise the preprod share. */
import { aggregate, type FleetSummary } from './aggregate';
import { createProgress } from './progress';
import { scanFleet, type NodeResult } from './scan';
import type { Target } from './targets';

export * from './targets';
export * from './classify';
export * from './limits';
export * from './scan';
export * from './aggregate';
export * from './report';
export * from './progress';
export * from './addressScope';
export * from './screen';

export interface RunFleetOptions {
  targets: readonly Target[];
  /** Fetches asked to be in flight at once (the byte budget may allow fewer). Default 2048. */
  concurrency?: number;
  /** Deadline per node (connect, whole body and parsing), ms. Default 5000. */
  timeoutMs?: number;
  /** Response size cap per node, bytes. Default 64 KiB. */
  maxBytes?: number;
  /** Reply bytes the scan may buffer at once. Default 128 MiB. */
  budgetBytes?: number;
  /** The configured preprod probability the observed share is compared with. */
  probability: number;
  /** Where to draw a progress bar; drawn only when it is a TTY. */
  progressStream?: NodeJS.WriteStream;
  /** Stops the scan early; the summary then counts unfinished nodes as failed `aborted`. */
  signal?: AbortSignal;
  /** Receives every node's result, e.g. for a per-node listing. */
  onNode?: (result: NodeResult) => void;
  /** Node-list entries screened out before the scan (screen.ts), reported with the summary. */
  dropped?: FleetSummary['dropped'];
}

/** Scans the targets and summarises them. Never rejects because of what a node sends. */
export async function runFleet(options: RunFleetOptions): Promise<FleetSummary> {
  const progress = options.progressStream ? createProgress(options.progressStream, options.targets.length) : undefined;
  try {
    const results = await scanFleet(options.targets, {
      concurrency: options.concurrency,
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      budgetBytes: options.budgetBytes,
      signal: options.signal,
      onResult: (done, _total, result) => {
        progress?.update(done);
        options.onNode?.(result);
      },
    });
    const summary = aggregate(results, { probability: options.probability, nowSeconds: Math.floor(Date.now() / 1000) });
    if (options.dropped) summary.dropped = options.dropped;
    return summary;
  } finally {
    progress?.stop();
  }
}
