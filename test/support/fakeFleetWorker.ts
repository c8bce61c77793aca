/**
 * A fake fleet on its own thread: it keeps answering while the test's own
 * event loop is blocked, as real nodes do. The same file is the worker's
 * entry point and the helper that starts it.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Target } from '../../src/fleet/targets';
import { startFakeFleet, type FakeNodeKind, type FakeNodeSpec } from './fakeFleet';

type FromWorker = { type: 'ready'; targets: Target[] } | { type: 'error'; message: string };

export interface WorkerFleet {
  targets: Target[];
  /** Requests the fleet received so far. Read from shared memory: correct even while this thread is busy. */
  requests(): number;
  /** Nodes that have written (part of) a reply so far; shared memory too. */
  replied(): number;
  close(): Promise<void>;
}

const REQUESTS = 0;
const REPLIED = 1;

export function startFakeFleetInWorker(specs: readonly (FakeNodeKind | FakeNodeSpec)[]): Promise<WorkerFleet> {
  const counters = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const worker = new Worker(__filename, { workerData: { specs, counters } });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'error') reject(new Error(message.message));
      else {
        resolve({
          targets: message.targets,
          requests: () => Atomics.load(counters, REQUESTS),
          replied: () => Atomics.load(counters, REPLIED),
          close: async () => {
            await worker.terminate();
          },
        });
      }
    });
  });
}

async function workerMain(): Promise<void> {
  const { specs, counters } = workerData as { specs: FakeNodeSpec[]; counters: Int32Array };
  const fleet = await startFakeFleet(specs);
  setInterval(() => {
    Atomics.store(
      counters,
      REQUESTS,
      fleet.nodes.reduce((sum, node) => sum + node.stats.requests, 0),
    );
    Atomics.store(counters, REPLIED, fleet.nodes.filter((node) => node.stats.bytesSent > 0).length);
  }, 1);
  parentPort?.postMessage({ type: 'ready', targets: fleet.targets } satisfies FromWorker);
}

if (!isMainThread) {
  workerMain().catch((error: unknown) => {
    parentPort?.postMessage({ type: 'error', message: String(error) } satisfies FromWorker);
  });
}
