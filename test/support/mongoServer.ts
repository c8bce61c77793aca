/**
 * The real MongoDB-protocol server the integration suites run against:
 * MONGO_URL when set; else `mongod` from PATH; else FerretDB 1.x embedded with
 * its SQLite backend (tools/ferretdb), built from the Go module proxy on first
 * use. Started lazily by the first suite that asks (requireMongo), so a run of
 * unit tests starts none; the full parallel run starts one for all workers in
 * its global setup (sharedMongo.ts). Stopped by the global teardown (hooks.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { redact } from '../../src/state/mongoStateStore';
import { makeTempDir } from './tmp';

export interface MongoServer {
  url: string;
  description: string;
}

const repoRoot = path.resolve(__dirname, '../../..');
let starting: Promise<MongoServer | null> | null = null;
let unavailableReason = '';
let child: ChildProcess | null = null;
let removeDir: (() => void) | null = null;

// Set by startSharedMongoServer() in the full run's global setup, so parallel workers
// (forked with this environment) use the one server and say nothing more.
const SHARED_URL = 'FLUXOS_PREPROD_TEST_MONGO_URL';
const SHARED_DESCRIPTION = 'FLUXOS_PREPROD_TEST_MONGO_DESCRIPTION';
const SHARED_NONE = 'FLUXOS_PREPROD_TEST_MONGO_NONE';

// Set by `npm run test:unit`: unit tests need no database, so asking for one there is a test in the wrong folder.
const NO_DATABASE = 'FLUXOS_PREPROD_TEST_NO_DATABASE';

export function getMongoServer(): Promise<MongoServer | null> {
  if (process.env[NO_DATABASE]) {
    return Promise.reject(
      new Error('Expected a unit test to need no database, got a call for one: move the suite to test/integration.'),
    );
  }
  if (!starting && process.env[SHARED_URL]) {
    starting = Promise.resolve({
      url: process.env[SHARED_URL] as string,
      description: process.env[SHARED_DESCRIPTION] ?? '',
    });
  }
  if (!starting && process.env[SHARED_NONE]) {
    unavailableReason = process.env[SHARED_NONE] as string;
    starting = Promise.resolve(null);
  }
  if (!starting) {
    starting = start().then(
      (server) => {
        // One line for the log, so a reader knows what the suites ran against.
        console.log(`      MongoDB-protocol server: ${server.description}`);
        return server;
      },
      (error: unknown) => {
        unavailableReason = error instanceof Error ? error.message : String(error);
        console.log(`      MongoDB-protocol server: none (${unavailableReason})`);
        return null;
      },
    );
  }
  return starting;
}

/** Mocha's global setup: one server for the whole run, shared with parallel workers. */
export async function startSharedMongoServer(): Promise<void> {
  const server = await getMongoServer();
  if (server) {
    process.env[SHARED_URL] = server.url;
    process.env[SHARED_DESCRIPTION] = server.description;
  } else {
    process.env[SHARED_NONE] = unavailableReason;
  }
}

/**
 * For a suite's before(): the server, or pending with one line saying why —
 * except under CI=true, where a missing server fails the run.
 */
export async function requireMongo(context: Mocha.Context): Promise<MongoServer> {
  context.timeout(15 * 60 * 1000); // the first Go build can take minutes
  const server = await getMongoServer();
  if (server) return server;
  if (process.env.CI === 'true') {
    throw new Error(`CI needs a MongoDB-protocol server, and none could be had: ${unavailableReason}`);
  }
  console.log(`      (pending: no MongoDB-protocol server: ${unavailableReason})`);
  context.skip();
  throw new Error('unreachable');
}

/** A database name unique to one test, ending in "test" like FluxOS's test databases. */
export function uniqueDbName(label: string): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `zelfluxlocal_${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${process.pid}_${random}_test`;
}

export async function stopMongoServer(): Promise<void> {
  const running = child;
  child = null;
  if (running && running.exitCode === null) {
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.stdin?.end(); // the server exits when its stdin closes
    running.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (running.exitCode === null) running.kill('SIGKILL');
  }
  removeDir?.();
  removeDir = null;
}

async function start(): Promise<MongoServer> {
  if (process.env.MONGO_URL) {
    return { url: process.env.MONGO_URL, description: `MONGO_URL at ${redact(process.env.MONGO_URL)}` };
  }
  if (onPath('mongod')) return startMongod();
  return startFerretDb();
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0;
}

async function startMongod(): Promise<MongoServer> {
  const port = await freePort();
  const { dir, remove } = makeTempDir('fluxos-preprod-mongod-');
  removeDir = remove;
  const version = spawnSync('mongod', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'mongod';
  child = spawn('mongod', ['--dbpath', dir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = `mongodb://127.0.0.1:${port}`;
  await waitForPort(port, 30000, child);
  return { url, description: `${version.trim()} at ${url}` };
}

async function startFerretDb(): Promise<MongoServer> {
  if (!onPath('go')) throw new Error('no MONGO_URL, no mongod on PATH, and no Go to build the FerretDB test server');
  const build = spawnSync('bash', [path.join(repoRoot, 'tools/ferretdb/build.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 14 * 60 * 1000,
  });
  if (build.status !== 0) {
    const last = (build.stderr || build.error?.message || '').trim().split('\n').slice(-3).join(' ');
    throw new Error(`building the FerretDB test server failed: ${last}`);
  }
  const binary = build.stdout.trim().split('\n').pop() as string;
  const { dir, remove } = makeTempDir('fluxos-preprod-ferretdb-');
  removeDir = remove;
  const server = spawn(binary, ['-dir', dir, '-listen', '127.0.0.1:0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child = server;
  let stderr = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error('the FerretDB test server did not start within 30 s')), 30000);
    server.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /READY (mongodb:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ''));
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the FerretDB test server exited with code ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
  return { url, description: `FerretDB ${ferretDbVersion()} (sqlite) at ${url}` };
}

function ferretDbVersion(): string {
  const goMod = readFileSync(path.join(repoRoot, 'tools/ferretdb/go.mod'), 'utf8');
  const match = /github\.com\/FerretDB\/FerretDB v(\S+)/.exec(goMod);
  return match ? match[1] : '1.x';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, limitMs: number, process: ChildProcess): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) throw new Error(`mongod exited with code ${process.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`mongod did not listen on port ${port} within ${limitMs} ms`);
}
