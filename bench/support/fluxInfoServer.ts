/**
 * Child process of fluxInfo.bench: serves GET /flux/info on 127.0.0.1 (a
 * free port) in one of three ways, then reports `{ type: 'ready', url }`
 * over IPC and serves until killed or disconnected.
 *
 *   ours     <checkout> <upstream> <stateFile>  — a real boot of the service on
 *            the checkout, then startFluxInfoServer() with its fluxInfo.
 *   baseline <checkout> <bodyFile>              — what the seed did: spawn
 *            `git rev-parse --abbrev-ref HEAD` per request, then build and
 *            serialise the answer (same fields as ours).
 *   constant <bodyFile>                         — a precomputed Buffer: the limit
 *            of node's http server and of the load tool on this machine.
 *
 * baseline and constant use the same http server options, headers and
 * routing as startFluxInfoServer, so only the per-request work differs.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { startFluxInfoServer } from '../../src/boot/fluxInfo';
import { createTestService } from '../../src/testing';
import { FileStateStore } from '../../src/state';

export type Variant = 'ours' | 'baseline' | 'constant';

export interface ReadyMessage {
  type: 'ready';
  url: string;
  /** A line about how the server came up (the boot's outcome for ours). */
  note: string;
}

export interface FailedMessage {
  type: 'failed';
  message: string;
}

/** The same options as startFluxInfoServer's server. */
const SERVER_OPTIONS: http.ServerOptions = {
  maxHeaderSize: 8192,
  requestTimeout: 10_000,
  headersTimeout: 5_000,
  keepAliveTimeout: 5_000,
};
const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const NOT_FOUND = Buffer.from(
  JSON.stringify({
    status: 'error',
    data: { code: 404, name: 'Not Found', message: 'Only /flux/info is served here.' },
  }),
);

function send(res: http.ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { ...HEADERS, 'content-length': body.length });
  res.end(body);
}

function isFluxInfo(req: http.IncomingMessage): boolean {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const pathname = query === -1 ? url : url.slice(0, query);
  return (pathname === '/flux/info' || pathname === '/flux/info/') && (req.method === 'GET' || req.method === 'HEAD');
}

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(SERVER_OPTIONS, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('The server has no port.');
  return `http://127.0.0.1:${address.port}/flux/info`;
}

async function startOurs(checkout: string, upstream: string, stateFile: string): Promise<ReadyMessage> {
  const service = createTestService({
    repoDir: checkout,
    store: new FileStateStore(stateFile),
    settings: {
      preProd: { remote: upstream, probability: 0.07, restart: 'none', fetchTimeoutMs: 5000, installCommand: ['true'] },
    },
    // Selected at p = 0.07: the boot switches the checkout to preprod, as on a real preprod node.
    random: () => 0.03,
    armHealthyTimer: false,
  });
  const result = await service.runAtBoot();
  const version = (JSON.parse(readFileSync(path.join(checkout, 'package.json'), 'utf8')) as { version: string })
    .version;
  const server = await startFluxInfoServer({ host: '127.0.0.1', port: 0, info: service.fluxInfo, version });
  return { type: 'ready', url: server.url, note: `boot: ${result.mode}/${result.reason}, ${result.message}` };
}

async function startBaseline(checkout: string, bodyFile: string): Promise<ReadyMessage> {
  const template = JSON.parse(readFileSync(bodyFile, 'utf8')) as { data: { flux: Record<string, unknown> } };
  const url = await listen((req, res) => {
    if (!isFluxInfo(req)) return send(res, 404, NOT_FOUND);
    execFile('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: checkout }, (error, stdout) => {
      const branch = error ? null : String(stdout).trim();
      const flux = { ...template.data.flux, preProdNode: branch === 'preprod' };
      send(res, 200, Buffer.from(JSON.stringify({ status: 'success', data: { flux } })));
    });
  });
  return { type: 'ready', url, note: 'git rev-parse --abbrev-ref HEAD per request' };
}

async function startConstant(bodyFile: string): Promise<ReadyMessage> {
  const body = readFileSync(bodyFile);
  const url = await listen((req, res) => (isFluxInfo(req) ? send(res, 200, body) : send(res, 404, NOT_FOUND)));
  return { type: 'ready', url, note: `constant ${body.length}-byte body` };
}

function start(argv: string[]): Promise<ReadyMessage> {
  const [variant, ...rest] = argv;
  if (variant === 'ours' && rest.length === 3) return startOurs(rest[0], rest[1], rest[2]);
  if (variant === 'baseline' && rest.length === 2) return startBaseline(rest[0], rest[1]);
  if (variant === 'constant' && rest.length === 1) return startConstant(rest[0]);
  return Promise.reject(new Error(`Expected ours|baseline|constant with their arguments, got ${argv.join(' ')}.`));
}

if (require.main === module) {
  // Serve only as long as the bench that started us is there.
  process.on('disconnect', () => process.exit(0));
  start(process.argv.slice(2)).then(
    (ready) => process.send?.(ready),
    (error: unknown) => {
      const message: FailedMessage = {
        type: 'failed',
        message: error instanceof Error ? error.message : String(error),
      };
      process.send?.(message, () => process.exit(1));
    },
  );
}
