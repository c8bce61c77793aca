import * as http from 'node:http';
import type { Mode, ReasonCode } from '../types';
import { capConnections, connectionCap, openFileLimit } from './connectionCap';

/** The detail block FluxOS adds under `data.flux.preProd` (docs/design.md §6). No paths, nothing secret. */
export interface PreProdInfo {
  mode: Mode | 'pending';
  reason: ReasonCode | null;
  branch: string | null;
  commit: string | null;
  probability: number | null;
  draw: number | null;
  rolledAt: string | null;
  nextRollAt: string | null;
  optedOut: boolean;
  /**
   * When this FluxOS process started (ISO, whole seconds): a restart shows as a new value, also one after
   * the health mark has been passed (docs/health.md).
   */
  bootedAt: string | null;
}

/** When this process started, from its uptime when this module loads (before FluxOS's own boot work). */
export function processStartedAt(nowMs: number, uptimeSeconds: number): string {
  return new Date(Math.floor((nowMs - uptimeSeconds * 1000) / 1000) * 1000).toISOString();
}

export const PROCESS_BOOTED_AT = processStartedAt(Date.now(), process.uptime());

/** What this package adds to `data.flux` on /flux/info. */
export interface FluxInfoFields {
  preProdNode: boolean;
  preProd: PreProdInfo;
}

/** Before the boot step has run: not preprod, nothing known yet. */
export const PENDING_FLUX_INFO: FluxInfoFields = Object.freeze({
  preProdNode: false,
  preProd: Object.freeze({
    mode: 'pending',
    reason: null,
    branch: null,
    commit: null,
    probability: null,
    draw: null,
    rolledAt: null,
    nextRollAt: null,
    optedOut: false,
    bootedAt: PROCESS_BOOTED_AT,
  }) as PreProdInfo,
});

export interface FluxInfoServerOptions {
  /** The fields to answer with; called once per change, not per request. */
  info: () => FluxInfoFields;
  /** `data.flux.version`, FluxOS's package.json version. */
  version: string | null;
}

function envelope(status: 'success', data: unknown): Buffer;
function envelope(status: 'error', data: { code: number; name: string; message: string }): Buffer;
function envelope(status: string, data: unknown): Buffer {
  return Buffer.from(JSON.stringify({ status, data }));
}

const SERVED_PATHS: ReadonlySet<string> = new Set(['/flux/info', '/flux/info/', '/flux/preprod', '/flux/preprod/']);

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/**
 * A request handler for node's http server answering `GET /flux/info` with
 * FluxOS's envelope. The body is serialised once, when the fields change, so
 * a request costs no git process, no database call and no JSON.stringify.
 */
export function createFluxInfoHandler(options: FluxInfoServerOptions): {
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  refresh: () => void;
} {
  let body: Buffer = Buffer.alloc(0);
  const refresh = (): void => {
    const fields = options.info();
    body = envelope('success', { flux: { version: options.version, ...fields } });
  };
  refresh();

  const notFound = envelope('error', {
    code: 404,
    name: 'Not Found',
    message: 'Only /flux/info and /flux/preprod are served here.',
  });
  const notAllowed = envelope('error', { code: 405, name: 'Method Not Allowed', message: 'Use GET.' });

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const pathname = query === -1 ? url : url.slice(0, query);
    // /flux/preprod is the cheap route FluxOS gets from the recipe (docs/health.md); here both are the same.
    if (!SERVED_PATHS.has(pathname)) {
      send(res, 404, notFound);
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, notAllowed);
    } else {
      send(res, 200, body, req.method === 'HEAD');
    }
  };
  return { handle, refresh };
}

function send(res: http.ServerResponse, status: number, body: Buffer, headOnly = false): void {
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': body.length });
  res.end(headOnly ? undefined : body);
}

/** Connections the standalone server keeps open at most (lowered to fit the open-file limit). */
export const DEFAULT_MAX_CONNECTIONS = 1024;

export interface FluxInfoServer {
  server: http.Server;
  /** The connection cap in force. */
  maxConnections: number;
  /** Idle connections closed to make room for new ones so far. */
  evicted: () => number;
  url: string;
  refresh: () => void;
  close: () => Promise<void>;
}

/**
 * The standalone server of `serve` and `demo`. Bounded against slow or
 * hostile clients: small header limit, header, request and idle timeouts, a
 * connection cap that evicts idle sockets (capConnections), and errors never
 * reach the wire as stack traces.
 */
export async function startFluxInfoServer(
  options: FluxInfoServerOptions & { host: string; port: number; maxConnections?: number },
): Promise<FluxInfoServer> {
  const { handle, refresh } = createFluxInfoHandler(options);
  const server = http.createServer(
    // Node enforces headersTimeout/requestTimeout only every connectionsCheckingInterval (30 s by default).
    {
      maxHeaderSize: 8192,
      requestTimeout: 10_000,
      headersTimeout: 5_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => {
      try {
        handle(req, res);
      } catch {
        const internal = { code: 500, name: 'Internal Error', message: 'Internal error.' };
        if (!res.headersSent) send(res, 500, envelope('error', internal));
        else res.destroy();
      }
    },
  );
  server.setTimeout(15_000, (socket) => socket.destroy()); // a socket silent this long is dropped
  const maxConnections = connectionCap(options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, openFileLimit());
  const { evicted } = capConnections(server, maxConnections);
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      // Once listening, an error is a failed accept (EMFILE under a flood): the server stays up.
      server.on('error', () => undefined);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    server,
    maxConnections,
    evicted,
    url: `http://${host}:${port}/flux/info`,
    refresh,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
