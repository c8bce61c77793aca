/**
 * Fetches `/flux/info` from many nodes (the HTTP side of the fleet view;
 * classify.ts says what a reply means). The fleet is run by strangers, so
 * each fetch has one deadline for connect, the whole body and its parsing; a
 * reply is capped; nothing is redirected; and the scan buffers no more than
 * its byte budget (limits.ts). A node's deadline starts when its fetch gets
 * a slot, so nodes waiting in the queue are never charged for others'
 * slowness (docs/design.md §7).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import {
  PREPROD_PATH,
  classifyBody,
  classifyError,
  failure,
  withPreprodRoute,
  withinDeadline,
  type Classified,
  type NodeResult,
} from './classify';
import { fetchSlots, scanLimits, type ScanLimits } from './limits';
import { formatTarget, type Target } from './targets';

// Earlier callers imported the result types and defaults from here.
export { FAILURE_KINDS_FIXED, classifyInfo, cleanField, isNodeState } from './classify';
export type { FailureKind, NodeKind, NodeResult, NodeState } from './classify';
export { SCAN_DEFAULTS } from './limits';

export interface ScanOptions extends Partial<ScanLimits> {
  /** Called after every node with the number done so far; exceptions from it are ignored. */
  onResult?: (done: number, total: number, result: NodeResult) => void;
  /** Stops the scan: fetches in flight are cut, nodes not yet asked are reported `aborted`. */
  signal?: AbortSignal;
}

/**
 * Fan-out of one AbortSignal to the fetches in flight. One listener per scan:
 * a listener per fetch would pass EventTarget's leak warning threshold (10)
 * at any useful concurrency.
 */
class AbortHub {
  private readonly callbacks = new Set<() => void>();
  private fired = false;
  /** Removes the hub's listener from the signal once the scan is over. */
  detach: () => void = () => {};

  constructor(signal: AbortSignal | undefined) {
    if (!signal) return;
    const fire = (): void => {
      this.fired = true;
      for (const callback of [...this.callbacks]) callback();
    };
    if (signal.aborted) this.fired = true;
    else signal.addEventListener('abort', fire, { once: true });
    this.detach = () => signal.removeEventListener('abort', fire);
  }

  get aborted(): boolean {
    return this.fired;
  }

  add(callback: () => void): void {
    this.callbacks.add(callback);
  }

  delete(callback: () => void): void {
    this.callbacks.delete(callback);
  }
}

interface FetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /**
   * An agent for the request. Without one, each fetch opens its own
   * connection directly: an agent only adds bookkeeping when nothing is kept
   * alive, and a request it queued would wait inside its node's deadline.
   */
  agent?: http.Agent;
  /** The route asked; `/flux/info` unless given. */
  path?: string;
}

/** One node's fetch: resolves exactly once, never rejects, and leaves no socket behind. */
class NodeFetch {
  private readonly started = performance.now();
  private settled = false;
  private req: http.ClientRequest | undefined;
  private res: http.IncomingMessage | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private readonly onAbort = (): void => this.finish(failure('aborted'));

  constructor(
    private readonly target: Target,
    private readonly options: FetchOptions,
    private readonly hub: AbortHub,
    private readonly resolve: (result: NodeResult) => void,
  ) {}

  start(): void {
    if (this.hub.aborted) {
      this.finish(failure('aborted'));
      return;
    }
    this.hub.add(this.onAbort);
    // The verdict waits one loop turn: when the event loop was busy past the deadline, a reply that
    // arrived meanwhile is read in this turn's poll phase, before the immediate, and still counts.
    this.timer = setTimeout(() => setImmediate(() => this.finish(failure('timeout'))), this.options.timeoutMs);
    try {
      this.req = http.request(this.requestOptions());
    } catch (error) {
      this.finish(classifyError(error));
      return;
    }
    this.req.on('error', (error) => this.finish(classifyError(error)));
    this.req.on('response', (response) => this.onResponse(response));
    this.req.end();
  }

  private requestOptions(): http.RequestOptions {
    const { target } = this;
    const headers: http.OutgoingHttpHeaders = {
      accept: 'application/json',
      'user-agent': 'fluxos-preprod-fleet',
      connection: 'close',
    };
    // A node-list name was resolved and checked once; connect to that address, not to a second lookup's.
    if (target.address !== undefined) headers.host = formatTarget({ host: target.host, port: target.port });
    const host = target.address ?? target.host;
    const request: http.RequestOptions = {
      host,
      port: target.port,
      path: this.options.path ?? '/flux/info',
      method: 'GET',
      headers,
    };
    if (this.options.agent) request.agent = this.options.agent;
    else request.createConnection = connectDirectly;
    return request;
  }

  private onResponse(response: http.IncomingMessage): void {
    this.res = response;
    response.on('error', (error) => this.finish(classifyError(error)));
    const status = response.statusCode ?? 0;
    if (status !== 200) {
      this.finish(failure(`http-${status}`));
      return;
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.options.maxBytes) {
      this.finish(failure('too-large', `content-length ${declared}`));
      return;
    }
    response.on('data', (chunk: Buffer) => this.onData(chunk));
    response.on('end', () => this.onEnd());
    response.on('close', () => {
      if (!response.complete) this.finish(failure('error', 'connection closed mid-body'));
    });
  }

  private onData(chunk: Buffer): void {
    if (this.settled) return;
    this.bytes += chunk.length;
    if (this.bytes > this.options.maxBytes) {
      this.chunks.length = 0;
      this.finish(failure('too-large'));
      return;
    }
    this.chunks.push(chunk);
  }

  private onEnd(): void {
    if (this.settled) return;
    const arrivedMs = performance.now() - this.started;
    const classified = classifyBody(Buffer.concat(this.chunks, this.bytes));
    const parseMs = performance.now() - this.started - arrivedMs;
    const inTime = withinDeadline(arrivedMs, parseMs, this.options.timeoutMs);
    this.finish(inTime ? classified : failure('timeout', 'reading the reply ran past the deadline'));
  }

  private finish(classified: Classified): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.hub.delete(this.onAbort);
    this.chunks.length = 0;
    // Whatever the outcome, the socket goes: a slow or hostile node must not keep a descriptor.
    this.res?.destroy();
    this.req?.destroy();
    const ms = Math.round(performance.now() - this.started);
    this.resolve({ host: this.target.host, port: this.target.port, ...classified, ms });
  }
}

function connectDirectly(options: http.ClientRequestArgs): net.Socket {
  return net.createConnection({ host: options.host ?? undefined, port: Number(options.port) });
}

function fetchRoute(target: Target, options: FetchOptions, hub: AbortHub): Promise<NodeResult> {
  return new Promise((resolve) => new NodeFetch(target, options, hub, resolve).start());
}

/**
 * One node: `/flux/info` (state and health signals); when that answers with
 * FluxOS's error envelope, `/flux/preprod` in what is left of the same
 * deadline, for the node's state (docs/health.md). The second request runs in
 * the same fetch slot, so the byte budget and the node's deadline hold.
 */
async function fetchNode(target: Target, options: FetchOptions, hub: AbortHub): Promise<NodeResult> {
  const info = await fetchRoute(target, options, hub);
  const remainingMs = Math.floor(options.timeoutMs - info.ms);
  if (info.kind !== 'degraded' || remainingMs < 1 || hub.aborted) return info;
  const cheap = await fetchRoute(target, { ...options, path: PREPROD_PATH, timeoutMs: remainingMs }, hub);
  return { ...withPreprodRoute(info, cheap), host: info.host, port: info.port, ms: info.ms + cheap.ms };
}

/** Fetches and classifies one node. Resolves exactly once; never rejects. */
export async function scanNode(target: Target, options: FetchOptions & { signal?: AbortSignal }): Promise<NodeResult> {
  const hub = new AbortHub(options.signal);
  try {
    return await fetchNode(target, options, hub);
  } finally {
    hub.detach();
  }
}

/**
 * Scans every target with at most `fetchSlots()` fetches in flight and
 * returns one result per target, in target order. Never rejects.
 */
export async function scanFleet(targets: readonly Target[], options: ScanOptions = {}): Promise<NodeResult[]> {
  const limits = scanLimits(options);
  // No agent: each node is asked once over its own connection, and the workers below are the only bound.
  const fetchOptions: FetchOptions = { timeoutMs: limits.timeoutMs, maxBytes: limits.maxBytes };
  const hub = new AbortHub(options.signal);
  const total = targets.length;
  const results: NodeResult[] = new Array(total);
  let next = 0;
  let done = 0;

  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next;
      next += 1;
      results[i] = await fetchNode(targets[i], fetchOptions, hub);
      done += 1;
      try {
        options.onResult?.(done, total, results[i]);
      } catch {
        // A progress callback must not be able to break the scan.
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(fetchSlots(limits), total) }, worker));
  } finally {
    hub.detach();
  }
  return results;
}
