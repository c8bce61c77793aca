/**
 * What `fleet watch` serves (docs/gate-operations.md): GET /metrics
 * (Prometheus), and the current verdict as /gate.json (what `gate --json`
 * prints), /gate.md (what `gate --markdown` prints), /gate.html (the HTML
 * report) and /gate.svg (a status badge). Before the first verdict, or when
 * the gate could not judge the history, the /gate.* endpoints answer 503 with
 * one sentence (the badge says `none` or `error`): a stale verdict is never
 * served as a current one. Read-only: GET and HEAD only.
 */
import * as http from 'node:http';
import type { Registry } from 'prom-client';
import { describeError, PreprodError } from '../../errors';
import type { GateReport } from '../../gate/judge/gate';

/** The verdict being served: a report, or why there is none. */
export interface ServedGate {
  report: GateReport | null;
  /** One sentence: why there is no report (no scan yet, or the evaluation failed). */
  problem: string;
  failed: boolean;
}

export interface WatchServer {
  url: string;
  close(): Promise<void>;
}

type Body = { status: number; type: string; body: string | Buffer };

const TEXT = 'text/plain; charset=utf-8';
const PATHS = '/metrics, /gate.json, /gate.md, /gate.html and /gate.svg';
/** The HTML report needs no script and no fetch; the header says so too. */
const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'";

async function gateBody(path: string, served: ServedGate): Promise<Body> {
  if (path === '/gate.svg') {
    const { badgeState, gateBadge } = await import('../../gate/report/badge');
    const state = badgeState(served.report?.verdict ?? null, served.failed);
    return { status: 200, type: 'image/svg+xml; charset=utf-8', body: gateBadge(state) };
  }
  const report = served.report;
  if (report === null) {
    const body = path === '/gate.json' ? `${JSON.stringify({ error: served.problem })}\n` : `${served.problem}\n`;
    return { status: 503, type: path === '/gate.json' ? 'application/json' : TEXT, body };
  }
  if (path === '/gate.json') {
    const { gateJson } = await import('../../gate/report/text');
    return { status: 200, type: 'application/json', body: gateJson(report) };
  }
  if (path === '/gate.md') {
    const { gateMarkdown } = await import('../../gate/report/markdown');
    return { status: 200, type: 'text/markdown; charset=utf-8', body: gateMarkdown(report) };
  }
  const { gateHtml } = await import('../../gate/report/html');
  return { status: 200, type: 'text/html; charset=utf-8', body: gateHtml(report) };
}

async function respond(req: http.IncomingMessage, registry: Registry, served: () => ServedGate): Promise<Body> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return { status: 405, type: TEXT, body: 'Only GET and HEAD are served here.\n' };
  const path = (req.url ?? '').split('?')[0];
  if (path === '/metrics') return { status: 200, type: registry.contentType, body: await registry.metrics() };
  if (['/gate.json', '/gate.md', '/gate.html', '/gate.svg'].includes(path)) return gateBody(path, served());
  return { status: 404, type: TEXT, body: `Only ${PATHS} are served here.\n` };
}

/** Serves the endpoints on host:port; resolves with the /metrics URL once it listens. */
export async function serveWatch(
  registry: Registry,
  served: () => ServedGate,
  port: number,
  host: string,
): Promise<WatchServer> {
  const server = http.createServer((req, res) => {
    respond(req, registry, served).then(
      ({ status, type, body }) => {
        const headers: http.OutgoingHttpHeaders = { 'content-type': type, 'cache-control': 'no-store' };
        if (type.startsWith('text/html')) headers['content-security-policy'] = HTML_CSP;
        headers['x-content-type-options'] = 'nosniff';
        res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(500, { 'content-type': TEXT }).end('The answer could not be built.\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new PreprodError('usage', `Cannot serve metrics on ${host}:${port}: ${describeError(error)}.`)),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`, close };
}
