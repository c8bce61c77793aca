/**
 * A typed door to autocannon (it ships no types). The load runs in the
 * calling process; the servers under test run in their own processes.
 */

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  pipelining: number;
}

export interface LoadResult {
  /** 2xx responses per second over the whole run. */
  rps: number;
  ok: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Seconds the run actually took. */
  seconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number };
}

type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

export async function load(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    pipelining: options.pipelining,
    // One request shape for every server; no progress bar or table on our stdout.
    method: 'GET',
    renderProgressBar: false,
    renderResultsTable: false,
    renderLatencyTable: false,
  });
  const seconds = result.duration;
  return {
    rps: result['2xx'] / seconds,
    ok: result['2xx'],
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    seconds,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
  };
}
