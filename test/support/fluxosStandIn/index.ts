/**
 * A stand-in FluxOS for the integration tests, written here (tree/): FluxOS's file layout, the lines the
 * recipe anchors on, and its load behaviour (userconfig loaded when apiServer.js loads, no MongoDB
 * connection until waitForMongo() at the end of initiate()). The recipe in examples/ is applied to it by
 * examples/apply-recipe.js, as it is to FluxOS; the package is installed from its `npm pack` tarball.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { bedEnv, runGit } from '../gitBed';
import { makeTempDir } from '../tmp';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');
export const STANDIN_TREE = path.join(REPO_ROOT, 'test/support/fluxosStandIn/tree');
export const COUNT_MONGO_CLIENTS = path.join(REPO_ROOT, 'test/support/fluxosStandIn/countMongoClients.js');
export const APPLY_RECIPE = path.join(REPO_ROOT, 'examples/apply-recipe.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end (no shell); never rejects on a non-zero exit. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function run(file: string, args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? bedEnv(),
        timeout: options.timeoutMs ?? 300_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function expectSuccess(what: string, result: Run): Run {
  if (result.code !== 0) {
    throw new Error(`${what} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result;
}

/** `npm pack` of this repository (already built by the test run) into `dest`; returns the tarball's path. */
export async function packPackage(dest: string): Promise<string> {
  const packed = expectSuccess(
    'npm pack',
    await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dest], { cwd: REPO_ROOT }),
  );
  return path.join(dest, packed.stdout.trim().split('\n').pop() as string);
}

/**
 * What a FluxOS node runs (`npm install --omit=dev --legacy-peer-deps`), here with the package's tarball
 * instead of the registry (`--no-save` keeps FluxOS's package.json as the recipe wrote it) and the npm
 * cache first, so the test works offline once `npm ci` has filled the cache.
 */
export async function npmInstall(dir: string, tarball: string): Promise<Run> {
  const args = ['install', '--omit=dev', '--legacy-peer-deps', '--prefer-offline', '--no-audit', '--no-fund'];
  const env = { ...bedEnv(), npm_config_update_notifier: 'false' };
  return expectSuccess('npm install', await run('npm', [...args, '--no-save', tarball], { cwd: dir, env }));
}

/** Applies a recipe of examples/ with its command line; returns the files it wrote. */
export async function applyRecipe(name: 'fluxos' | 'watchdog', dir: string): Promise<string[]> {
  const result = expectSuccess(`apply-recipe ${name}`, await run(process.execPath, [APPLY_RECIPE, name, dir]));
  return result.stdout.trim().split('\n');
}

export interface FluxosWorld {
  /** The world's temp dir. */
  readonly dir: string;
  /** The bare upstream with master (8.17.0) and preprod (8.18.0). */
  readonly upstream: string;
  /** Clones a node checkout on `branch` (default master) and writes its userconfig.js. */
  cloneNode(name: string, options?: { branch?: string; apiport?: number }): Promise<string>;
  git(dir: string, ...args: string[]): Promise<string>;
  cleanup(): void;
}

export interface FluxosWorldOptions {
  /** Apply the FluxOS recipe on both branches. Default true. */
  recipe?: boolean;
}

/** An upstream FluxOS (the stand-in, recipe applied) with master and preprod, and node checkouts of it. */
export async function createFluxosWorld(options: FluxosWorldOptions = {}): Promise<FluxosWorld> {
  const temp = makeTempDir('fluxos-standin-');
  const dir = await fs.realpath(temp.dir);
  const seed = path.join(dir, 'seed');
  await fs.cp(STANDIN_TREE, seed, { recursive: true });
  await runGit(seed, ['init', '-q', '-b', 'master']);
  if (options.recipe ?? true) await applyRecipe('fluxos', seed);
  await runGit(seed, ['add', '-A']);
  await runGit(seed, ['commit', '-q', '-m', 'FluxOS 8.17.0']);
  await runGit(seed, ['checkout', '-q', '-b', 'preprod']);
  await setVersion(seed, '8.18.0');
  await runGit(seed, ['commit', '-q', '-am', 'FluxOS 8.18.0 on preprod']);
  await runGit(seed, ['checkout', '-q', 'master']);
  const upstream = path.join(dir, 'upstream.git');
  await runGit(dir, ['clone', '-q', '--bare', seed, upstream]);
  return {
    dir,
    upstream,
    async cloneNode(name, cloneOptions = {}) {
      const node = path.join(dir, name);
      await runGit(dir, ['clone', '-q', '--branch', cloneOptions.branch ?? 'master', upstream, node]);
      await writeUserconfig(node, cloneOptions.apiport ?? 16127);
      return node;
    },
    git: (cwd, ...args) => runGit(cwd, args),
    cleanup: temp.remove,
  };
}

async function setVersion(dir: string, version: string): Promise<void> {
  const file = path.join(dir, 'package.json');
  const pkg = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  await fs.writeFile(file, `${JSON.stringify({ ...pkg, version }, null, 2)}\n`);
}

/** config/userconfig.js as FluxOS has it (git-ignored, CommonJS, an `initial` block). */
export async function writeUserconfig(node: string, apiport: number, extra: object = {}): Promise<void> {
  const initial = { ipaddress: '127.0.0.1', zelid: '1StandInZelId', development: false, apiport, ...extra };
  const text = `module.exports = {\n  initial: ${JSON.stringify(initial, null, 2)},\n};\n`;
  await fs.writeFile(path.join(node, 'config', 'userconfig.js'), text);
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningFluxos {
  readonly child: ChildProcess;
  /** Everything the stand-in logged so far (its logger writes each line to stdout too). */
  output(): string;
  /** Resolves with the output once a line matches; rejects when the process ends first. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  stop(): Promise<void>;
}

/** Starts `node app.js` in a node checkout, with NODE_CONFIG overrides as node-config reads them. */
export function startFluxos(
  node: string,
  nodeConfig: object,
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
): RunningFluxos {
  const child = spawn(process.execPath, [...nodeArgs, 'app.js'], {
    cwd: node,
    env: { ...bedEnv(), ...env, NODE_CONFIG: JSON.stringify(nodeConfig) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const watchers: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const watcher of [...watchers]) watcher();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const watcher of [...watchers]) watcher();
    });
  });
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            watchers.splice(watchers.indexOf(check), 1);
            resolve(text);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            watchers.splice(watchers.indexOf(check), 1);
            reject(new Error(`FluxOS ended before logging ${pattern}; it logged:\n${text}`));
          }
        };
        watchers.push(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** GET a stand-in route on 127.0.0.1 and parse its JSON envelope. */
export async function getJson(port: number, route: string): Promise<{ status: string; data: any }> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`);
  return (await response.json()) as { status: string; data: any };
}
