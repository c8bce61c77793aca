/**
 * The stand-in Flux watchdog (watchdog.js here) and the world it runs in, with no network:
 * - raw.githubusercontent.com served from a local upstream repository: curl reaches it through an HTTPS
 *   proxy on 127.0.0.1 (`https_proxy`) that hands the CONNECT to a local TLS server whose certificate,
 *   made with openssl for this run, curl trusts through CURL_CA_BUNDLE. The watchdog's own command lines
 *   run unchanged (`curl … https://raw.githubusercontent.com/RunOnFlux/flux/master/package.json | jq …`);
 * - pm2, systemctl and npm are shims on PATH that record their arguments (what the watchdog stops, starts
 *   and installs); git, curl, jq and sh are the real ones.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { bedEnv, runGit } from '../gitBed';
import { applyRecipe, REPO_ROOT } from '../fluxosStandIn';

const execFileAsync = promisify(execFile);
const RAW_HOST = 'raw.githubusercontent.com';
export const WATCHDOG_STANDIN = path.join(REPO_ROOT, 'test/support/watchdogStandIn/watchdog.js');

export interface RawGithub {
  /** What the watchdog's environment needs to reach this server as raw.githubusercontent.com. */
  readonly env: NodeJS.ProcessEnv;
  /** Request paths served so far. */
  readonly requests: string[];
  /** false: the proxy refuses every CONNECT, as when GitHub is unreachable. */
  reachable: boolean;
  close(): Promise<void>;
}

/** Serves `/RunOnFlux/flux/<branch>/package.json` from `upstream`'s branches, as GitHub's raw host. */
export async function startRawGithub(dir: string, upstream: string): Promise<RawGithub> {
  const key = path.join(dir, 'raw.key');
  const cert = path.join(dir, 'raw.crt');
  await execFileAsync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    `/CN=${RAW_HOST}`,
    '-addext',
    `subjectAltName=DNS:${RAW_HOST}`,
  ]);
  const requests: string[] = [];
  const tls = https.createServer({ key: await fs.readFile(key), cert: await fs.readFile(cert) }, (req, res) => {
    requests.push(req.url ?? '');
    const match = /^\/RunOnFlux\/flux\/([A-Za-z0-9._-]+)\/package\.json$/.exec(req.url ?? '');
    const file = match ? `refs/heads/${match[1]}:package.json` : null;
    const show = file ? runGit(upstream, ['show', file]) : Promise.reject(new Error('not a package.json'));
    show.then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${text}\n`),
      () => res.writeHead(404, { 'content-type': 'text/plain' }).end('404: Not Found'),
    );
  });
  const tlsPort = await listen(tls);
  const world = { reachable: true };
  const proxy = http.createServer((_req, res) => res.writeHead(403).end());
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    if (!world.reachable || req.url !== `${RAW_HOST}:443`) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstreamSocket = net.connect(tlsPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      client.pipe(upstreamSocket).pipe(client);
    });
    upstreamSocket.on('error', () => client.destroy());
    client.on('error', () => upstreamSocket.destroy());
  });
  const proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
  return {
    env: { https_proxy: proxyUrl, HTTPS_PROXY: proxyUrl, no_proxy: '', NO_PROXY: '', CURL_CA_BUNDLE: cert },
    requests,
    get reachable() {
      return world.reachable;
    },
    set reachable(value: boolean) {
      world.reachable = value;
    },
    async close() {
      proxy.closeAllConnections();
      tls.closeAllConnections();
      await Promise.all([new Promise((r) => proxy.close(r)), new Promise((r) => tls.close(r))]);
    },
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** Shims for pm2, systemctl and npm that append "<tool> <args>" to `events`; returns the PATH to use. */
export async function writeShims(dir: string, events: string): Promise<string> {
  const bin = path.join(dir, 'shim-bin');
  await fs.mkdir(bin, { recursive: true });
  for (const tool of ['pm2', 'systemctl', 'npm']) {
    const file = path.join(bin, tool);
    await fs.writeFile(file, `#!/bin/sh\necho "${tool} $*" >> ${JSON.stringify(events)}\n`);
    await fs.chmod(file, 0o755);
  }
  return `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
}

/** A copy of the stand-in watchdog in `dir`, with the recipe of examples/watchdog applied when `patched`. */
export async function installWatchdog(dir: string, patched: boolean): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  await fs.copyFile(WATCHDOG_STANDIN, path.join(dir, 'watchdog.js'));
  if (patched) await applyRecipe('watchdog', dir);
  return path.join(dir, 'watchdog.js');
}

export interface WatchdogRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One check of the watchdog, with `env` (HOME or FLUXOS_PATH, PATH with shims, the raw GitHub env). */
export function runWatchdog(script: string, env: NodeJS.ProcessEnv): Promise<WatchdogRun> {
  return new Promise((resolve) => {
    const options = { cwd: path.dirname(script), env: { ...bedEnv(), ...env }, timeout: 120_000 };
    execFile(process.execPath, [script], options, (error, stdout, stderr) => {
      resolve({ code: error ? ((error.code as number) ?? 1) : 0, stdout, stderr });
    });
  });
}
