/**
 * A fake FluxOS fleet on loopback: one process, one port per node, each node
 * built to answer `/flux/info` in one particular way (healthy, broken, slow,
 * huge or hostile). All ports share one HTTP server; the listening socket a
 * connection arrived on tells which node it is talking to.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Target } from '../../src/fleet/targets';

export type FakeNodeKind =
  /** preProdNode true, reason selected. */
  | 'preprod'
  /** preProdNode false, reason not-selected. */
  | 'production'
  /** A success envelope without preProdNode: FluxOS before this package. */
  | 'unknown'
  /** FluxOS's error envelope, sent with HTTP 200. */
  | 'error-envelope'
  /** An HTML page with HTTP 200. */
  | 'html'
  | 'http-500'
  /** 302 to another URL, which must not be followed. */
  | 'redirect'
  /** Headers, then one byte every `dripIntervalMs` (default 1000) forever. */
  | 'drip'
  /** 200 and a chunked body of `hugeBytes` (default 50 MB), written with back-pressure. */
  | 'huge'
  /** Like huge, but announced in Content-Length. */
  | 'huge-declared'
  /** A port with nothing listening. */
  | 'refused'
  /** A success envelope whose fields have wrong types, huge strings and escapes; or `body` if given. */
  | 'hostile'
  /** Closes the connection as soon as the request arrives. */
  | 'reset'
  /** Accepts the connection and never answers. */
  | 'hang'
  /** Answers with bytes that are not HTTP. */
  | 'garbage'
  /**
   * Sends `body` (default: a deeply nested array of `syncBytes`, default 960 KiB) at once but its last
   * byte, then the last byte at `releaseAt`: many of these finish at the same instant.
   */
  | 'sync';

export interface FakeNodeSpec {
  kind: FakeNodeKind;
  /** flux.version; defaults per kind. */
  version?: string;
  /** flux.preProd.reason; defaults per kind. */
  reason?: string;
  /** flux.preProd.branch; defaults per kind. */
  branch?: string;
  dripIntervalMs?: number;
  hugeBytes?: number;
  /** Raw body of a `hostile` or `sync` node. */
  body?: string;
  /** preprod, production, unknown: milliseconds to wait before answering, like a real node far away. */
  delayMs?: number;
  /** sync: epoch milliseconds (Date.now()) at which the last byte is sent. */
  releaseAt?: number;
  /** sync: size of the default nested body. */
  syncBytes?: number;
}

export interface FakeNode {
  spec: FakeNodeSpec;
  host: string;
  port: number;
  /** Body bytes this node handed to its sockets, requests it received, and the Host header of the last one. */
  stats: { bytesSent: number; requests: number; lastHostHeader?: string };
}

export interface FakeFleet {
  nodes: FakeNode[];
  targets: Target[];
  /** Connections open right now, across all nodes. */
  openConnections(): number;
  /** The most connections that were open at once since the start. */
  maxOpenConnections(): number;
  close(): Promise<void>;
}

/** A hostile reply: it says preprod, but every other field is a trap. */
export const HOSTILE_BODY = [
  '{"status":"success","data":{"flux":{',
  `"version":"${'9'.repeat(30_000)}\\u001b[2J\\n",`,
  '"preProdNode":true,',
  '"preProd":{"reason":"selected\\"} 1\\n# evil","branch":{"toString":"x"},',
  '"probability":"NaN","draw":1e999,"rolledAt":[]},',
  '"__proto__":{"preProdNode":false},"constructor":{"prototype":{"polluted":true}}',
  '}}}',
].join('');

/** `[[[…]]]` of about `bytes` bytes: valid JSON, nested `bytes / 2` deep. */
export function nestedBody(bytes: number): string {
  const depth = Math.max(1, Math.floor(bytes / 2));
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/**
 * A valid success envelope of about `bytes` bytes that is expensive to parse: the `apps` list
 * holds thousands of small objects. Its node says production.
 */
export function heavyBody(bytes: number): string {
  const item = '{"n":"app","p":[1,2,3],"e":{"k":"v"}},';
  const count = Math.max(0, Math.floor((bytes - 200) / item.length));
  const apps = `[${item.repeat(count)}{}]`;
  return `{"status":"success","data":{"flux":{"version":"8.17.0","preProdNode":false},"apps":${apps}}}`;
}

const DEFAULTS: Record<string, { version: string; reason: string; branch: string }> = {
  preprod: { version: '8.18.0', reason: 'selected', branch: 'preprod' },
  production: { version: '8.17.0', reason: 'not-selected', branch: 'master' },
  unknown: { version: '8.16.0', reason: '', branch: '' },
};

/** The `/flux/info` body a FluxOS node with (or without) this package sends. */
export function infoBody(spec: FakeNodeSpec): string {
  const d = DEFAULTS[spec.kind] ?? DEFAULTS.production;
  const version = spec.version ?? d.version;
  const flux: Record<string, unknown> = {
    version,
    nodeJsVersion: 'v20.20.2',
    ip: '127.0.0.1',
    staticIp: false,
    development: false,
  };
  if (spec.kind === 'preprod' || spec.kind === 'production') {
    const preprod = spec.kind === 'preprod';
    flux.preProdNode = preprod;
    flux.preProd = {
      mode: preprod ? 'preprod' : 'production',
      reason: spec.reason ?? d.reason,
      branch: spec.branch ?? d.branch,
      commit: '0123456789abcdef0123456789abcdef01234567',
      probability: 0.07,
      draw: preprod ? 0.03 : 0.5,
      rolledAt: '2025-01-01T00:00:00.000Z',
      nextRollAt: '2025-01-31T00:00:00.000Z',
      optedOut: false,
    };
  }
  return JSON.stringify({
    status: 'success',
    data: { daemon: { info: { version: 8000050 } }, flux, apps: {}, geolocation: {} },
  });
}

const ERROR_ENVELOPE = JSON.stringify({
  status: 'error',
  data: { code: 503, name: 'ServiceUnavailable', message: 'Daemon not yet synced.' },
});

function normalise(spec: FakeNodeKind | FakeNodeSpec): FakeNodeSpec {
  return typeof spec === 'string' ? { kind: spec } : spec;
}

function listen(server: net.Server, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 511 }, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** A port that was free a moment ago and has nothing listening now. */
async function freePort(host: string): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe, host);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface FakeFleetOptions {
  /** Loopback addresses the nodes are spread over, round robin. Default ['127.0.0.1']. */
  hosts?: readonly string[];
  /**
   * First port to try on each host, counting up and skipping ports in use.
   * Default: none, the kernel picks (port 0). Thousands of kernel-picked ports
   * come from the ephemeral range, where the TIME_WAIT sockets of a previous
   * run of the same size block them for a minute; fixed ports below that
   * range do not have that problem (listeners set SO_REUSEADDR).
   */
  basePort?: number;
}

export async function startFakeFleet(
  specs: readonly (FakeNodeKind | FakeNodeSpec)[],
  options: FakeFleetOptions = {},
): Promise<FakeFleet> {
  const hosts = options.hosts && options.hosts.length > 0 ? options.hosts : ['127.0.0.1'];
  const nextPort = new Map(hosts.map((host) => [host, options.basePort ?? 0]));
  const bind = async (server: net.Server, host: string): Promise<number> => {
    if (options.basePort === undefined) return listen(server, host);
    for (;;) {
      const port = nextPort.get(host) ?? 0;
      if (port > 65535) throw new Error(`No free port left on ${host} above ${options.basePort}.`);
      nextPort.set(host, port + 1);
      try {
        return await listen(server, host, port);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
      }
    }
  };
  const sockets = new Set<net.Socket>();
  const nodeOf = new WeakMap<net.Socket, FakeNode>();
  const listeners: net.Server[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const bodyCache = new Map<string, Buffer>();
  let maxOpen = 0;

  const healthyBody = (spec: FakeNodeSpec): Buffer => {
    const key = `${spec.kind}\0${spec.version ?? ''}\0${spec.reason ?? ''}\0${spec.branch ?? ''}`;
    let body = bodyCache.get(key);
    if (!body) {
      body = Buffer.from(infoBody(spec));
      bodyCache.set(key, body);
    }
    return body;
  };

  // One buffer per spec: hundreds of nodes sharing a spec must not fill this process's memory,
  // which a test measures for the scanner.
  const syncBodies = new WeakMap<FakeNodeSpec, Buffer>();
  const syncBody = (spec: FakeNodeSpec): Buffer => {
    let body = syncBodies.get(spec);
    if (!body) {
      body = Buffer.from(spec.body ?? nestedBody(spec.syncBytes ?? 960 * 1024));
      syncBodies.set(spec, body);
    }
    return body;
  };

  /** Runs `action` after `ms` unless the client went away; fleet.close() cancels it. */
  const later = (res: http.ServerResponse, ms: number, action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) action();
    }, ms);
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  };

  const hub = http.createServer((req, res) => {
    const node = nodeOf.get(req.socket);
    if (!node) {
      res.destroy();
      return;
    }
    node.stats.requests += 1;
    node.stats.lastHostHeader = req.headers.host;
    res.on('error', () => {});
    const send = (status: number, type: string, body: string | Buffer, extra: http.OutgoingHttpHeaders = {}): void => {
      const buffer = typeof body === 'string' ? Buffer.from(body) : body;
      node.stats.bytesSent += buffer.length;
      res.writeHead(status, { 'content-type': type, 'content-length': buffer.length, ...extra });
      res.end(buffer);
    };
    const spec = node.spec;
    switch (spec.kind) {
      case 'preprod':
      case 'production':
      case 'unknown':
        if (spec.delayMs === undefined) send(200, 'application/json', healthyBody(spec));
        else later(res, spec.delayMs, () => send(200, 'application/json', healthyBody(spec)));
        return;
      case 'sync': {
        const body = syncBody(spec);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.write(body.subarray(0, body.length - 1));
        node.stats.bytesSent += body.length - 1;
        later(res, Math.max(0, (spec.releaseAt ?? Date.now()) - Date.now()), () => {
          node.stats.bytesSent += 1;
          res.end(body.subarray(body.length - 1));
        });
        return;
      }
      case 'error-envelope':
        send(200, 'application/json', ERROR_ENVELOPE);
        return;
      case 'html':
        send(200, 'text/html', '<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>');
        return;
      case 'http-500':
        send(500, 'application/json', '{"status":"error"}');
        return;
      case 'redirect':
        send(302, 'text/plain', 'Found', { location: `http://${node.host}:${node.port}/elsewhere` });
        return;
      case 'hostile':
        send(200, 'application/json', spec.body ?? HOSTILE_BODY);
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        return;
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        node.stats.bytesSent += 1;
        const timer = setInterval(() => {
          res.write(' ');
          node.stats.bytesSent += 1;
        }, spec.dripIntervalMs ?? 1000);
        timers.add(timer);
        res.on('close', () => {
          clearInterval(timer);
          timers.delete(timer);
        });
        return;
      }
      case 'huge':
      case 'huge-declared': {
        const total = spec.hugeBytes ?? 50 * 1024 * 1024;
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        res.writeHead(
          200,
          spec.kind === 'huge-declared'
            ? { 'content-type': 'application/json', 'content-length': total }
            : { 'content-type': 'application/json' },
        );
        let sent = 0;
        let closed = false;
        res.on('close', () => {
          closed = true;
        });
        // Back-pressure keeps the fake's own memory flat, so the test measures the scanner's.
        const pump = (): void => {
          while (!closed && sent < total) {
            const piece = total - sent >= chunk.length ? chunk : chunk.subarray(0, total - sent);
            sent += piece.length;
            node.stats.bytesSent += piece.length;
            if (!res.write(piece)) {
              res.once('drain', pump);
              return;
            }
          }
          if (!closed) res.end();
        };
        pump();
        return;
      }
      default:
        res.destroy();
    }
  });
  hub.keepAliveTimeout = 1000;

  const nodes: FakeNode[] = [];
  const all = specs.map(normalise);
  // Listen in batches: thousands of ports at once is fine for the kernel, but one await per port is slow.
  const BATCH = 500;
  for (let start = 0; start < all.length; start += BATCH) {
    const batch = all.slice(start, start + BATCH).map(async (spec, offset) => {
      const host = hosts[(start + offset) % hosts.length];
      if (spec.kind === 'refused') {
        return { spec, host, port: await freePort(host), stats: { bytesSent: 0, requests: 0 } };
      }
      const node: FakeNode = { spec, host, port: 0, stats: { bytesSent: 0, requests: 0 } };
      const server = net.createServer((socket) => {
        sockets.add(socket);
        maxOpen = Math.max(maxOpen, sockets.size);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {});
        if (spec.kind === 'garbage') {
          node.stats.requests += 1;
          // Drain the request so the client's FIN is seen and the socket can close.
          socket.resume();
          socket.end('SSH-2.0-OpenSSH_9.6 not http at all\r\n\r\n');
          return;
        }
        nodeOf.set(socket, node);
        hub.emit('connection', socket);
      });
      listeners.push(server);
      node.port = await bind(server, host);
      return node;
    });
    nodes.push(...(await Promise.all(batch)));
  }

  let closing: Promise<void> | undefined;
  return {
    nodes,
    targets: nodes.map((n) => ({ host: n.host, port: n.port })),
    openConnections: () => sockets.size,
    maxOpenConnections: () => maxOpen,
    close(): Promise<void> {
      closing ??= (async () => {
        for (const timer of timers) clearInterval(timer);
        timers.clear();
        // close() waits for open connections, and a hang or drip node never ends its own: cut them.
        const stopped = listeners.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
        for (const socket of sockets) socket.destroy();
        await Promise.all(stopped);
        hub.close();
      })();
      return closing;
    },
  };
}
