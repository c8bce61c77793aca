/**
 * `fluxos-preprod demo`, what `npm start` runs: a throw-away local fleet that
 * goes through the real boot path. An upstream repository with master and
 * preprod, N node checkouts with a store each, every node booted by the same
 * service FluxOS uses, its /flux/info served on 127.0.0.1, and the fleet
 * scanned with the fleet code. Needs git and nothing else: no MongoDB, no
 * network, no FluxOS.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { readSettings } from '../config/settings';
import { formatTable, runFleet } from '../fleet';
import { startFluxInfoServer, type FluxInfoServer } from '../boot/fluxInfo';
import { silentLogger } from '../logger';
import { createPreprodService, type BootResult } from '../boot/service';
import { openStore, type StateStore } from '../state';

const run = promisify(execFile);

export interface DemoOptions {
  nodes: number;
  /** Default: one JSON file per node. `mongodb://host:port` uses one database per node. */
  store?: string;
  probability: number;
  keep?: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Resolves when the demo should stop (SIGINT/SIGTERM in the CLI). */
  waitForStop: () => Promise<unknown>;
  /** Play a release on the fleet and judge it with the gate: a good one (promote) or a bad one (halt). */
  release?: 'good' | 'bad';
}

// A clean environment for git: no user or system config may change what the demo does.
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'fluxos-preprod demo',
  GIT_AUTHOR_EMAIL: 'demo@localhost',
  GIT_COMMITTER_NAME: 'fluxos-preprod demo',
  GIT_COMMITTER_EMAIL: 'demo@localhost',
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: GIT_ENV });
  return stdout.trim();
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
}

/** An upstream like FluxOS's: master at 1.0.0 and preprod one release ahead, containing master. */
async function buildUpstream(root: string): Promise<string> {
  const upstream = path.join(root, 'upstream.git');
  const work = path.join(root, 'upstream-work');
  await fs.mkdir(work, { recursive: true });
  await git(root, 'init', '-q', '--bare', '-b', 'master', upstream);
  await git(work, 'init', '-q', '-b', 'master');
  await writeFiles(work, {
    'package.json': `${JSON.stringify({ name: 'flux', version: '1.0.0', private: true }, null, 2)}\n`,
    'app.js': "console.log('FluxOS (demo) master');\n",
    '.gitignore': 'config/userconfig.js\nnode_modules/\n',
  });
  await git(work, 'add', '-A');
  await git(work, 'commit', '-q', '-m', 'release 1.0.0');
  await git(work, 'checkout', '-q', '-b', 'preprod');
  await writeFiles(work, {
    'package.json': `${JSON.stringify({ name: 'flux', version: '1.1.0', private: true }, null, 2)}\n`,
    'app.js': "console.log('FluxOS (demo) preprod');\n",
  });
  await git(work, 'commit', '-q', '-am', 'release 1.1.0 on preprod');
  await git(work, 'push', '-q', upstream, 'master', 'preprod');
  await fs.rm(work, { recursive: true, force: true });
  return upstream;
}

export interface DemoNode {
  name: string;
  dir: string;
  storeUrl: string;
  result: BootResult;
  /** Null while the node is down (a crash in `demo --release bad`). */
  server: FluxInfoServer | null;
  /** The node's /flux/info port, kept across restarts so the scan targets stay the same. */
  port: number;
}

export function demoSettings(options: Pick<DemoOptions, 'probability'>, upstream: string) {
  return readSettings({
    // The demo's package.json has no dependencies: a real `npm install` would only reach out to the registry.
    overrides: {
      preProd: {
        probability: options.probability,
        remote: upstream,
        restart: 'none',
        installCommand: [process.execPath, '-e', '0'],
      },
    },
  });
}

/**
 * One boot of a demo node through the real boot path, then its /flux/info
 * served (again) on its port. `healthy` marks the boot healthy, as FluxOS
 * staying up would; `serve: false` leaves the node down (it crashed).
 */
export async function bootAndServe(
  node: Omit<DemoNode, 'result'> & { result?: BootResult },
  settings: ReturnType<typeof demoSettings>,
  opts: { healthy?: boolean; serve?: boolean } = {},
): Promise<BootResult> {
  const store: StateStore = await openStore(node.storeUrl);
  try {
    const service = createPreprodService({
      repoDir: node.dir,
      store,
      settings,
      logger: silentLogger,
      armHealthyTimer: false,
    });
    const result = await service.runAtBoot();
    if (opts.healthy) await service.markHealthy();
    node.result = result;
    await node.server?.close();
    node.server = null;
    if (opts.serve !== false) {
      const version = JSON.parse(await fs.readFile(path.join(node.dir, 'package.json'), 'utf8')).version as string;
      node.server = await startFluxInfoServer({ host: '127.0.0.1', port: node.port, info: service.fluxInfo, version });
      node.port = Number(new URL(node.server.url).port);
    }
    return result;
  } finally {
    await store.close();
  }
}

async function bootNode(root: string, upstream: string, index: number, options: DemoOptions): Promise<DemoNode> {
  const name = `node-${String(index + 1).padStart(3, '0')}`;
  const dir = path.join(root, name);
  await git(root, 'clone', '-q', '-b', 'master', upstream, dir);
  await writeFiles(dir, {
    'config/userconfig.js':
      `module.exports = { initial: { ipaddress: '127.0.0.1', zelid: '${name}', development: ` + `false } };\n`,
  });
  const storeUrl = options.store
    ? `${options.store.replace(/\/+$/, '')}/fluxos_preprod_demo_${process.pid}_${index + 1}`
    : `file:${path.join(dir, '..', `${name}.state.json`)}`;
  const node = { name, dir, storeUrl, server: null, port: 0 };
  // Before a release the fleet has been up a while: its boots were healthy.
  const result = await bootAndServe(node, demoSettings(options, upstream), { healthy: options.release !== undefined });
  return { ...node, result, server: node.server, port: node.port };
}

/**
 * Runs task(0..count-1) with at most `limit` in flight; each result goes to
 * `onResult` as it comes. On a failure no new task starts, and the error is
 * thrown only once every task in flight has settled, so cleanup never races them.
 */
async function inBatches<T>(
  count: number,
  limit: number,
  task: (index: number) => Promise<T>,
  onResult: (result: T) => void,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const workers = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count && failure === null) {
      const index = next++;
      try {
        onResult(await task(index));
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(workers);
  if (failure !== null) throw (failure as { error: unknown }).error;
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const started = Date.now();
  const root = mkdtempSync(path.join(os.tmpdir(), 'fluxos-preprod-demo-'));
  const nodes: DemoNode[] = [];
  const cleanup = async () => {
    await Promise.all(nodes.map((node) => node.server?.close()));
    if (options.keep) options.stderr.write(`kept ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
  };
  // Listen before anything is printed: a signal sent as soon as the output
  // appears must find the handler installed, and a Ctrl-C while the fleet is
  // being built must still clean up (it stops the demo once booting ends).
  const stop = options.waitForStop();
  try {
    options.stderr.write(`building a local fleet of ${options.nodes} nodes in ${root} ...\n`);
    const upstream = await buildUpstream(root);
    await inBatches(
      options.nodes,
      4,
      (i) => bootNode(root, upstream, i, options),
      (node) => nodes.push(node),
    );
    nodes.sort((a, b) => a.name.localeCompare(b.name));

    const targets = nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
    const summary = await runFleet({ targets, concurrency: 64, timeoutMs: 5000, probability: options.probability });

    const out = options.stdout;
    out.write(
      `\nLocal fleet: ${nodes.length} nodes booted through the real boot path in ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    out.write(
      `On preprod: ${summary.preprod} of ${summary.answered} answering nodes; configured share ` +
        `${(options.probability * 100).toFixed(1)}%\n\n`,
    );
    out.write(formatTable(summary));
    out.write('\nNodes:\n');
    for (const node of nodes) {
      out.write(
        `  ${node.name}  ${node.result.mode.padEnd(10)} ${node.result.reason.padEnd(13)} ${node.server?.url ?? ''}\n`,
      );
    }
    if (options.release !== undefined) {
      const { playRelease } = await import('./demoRelease');
      await playRelease({ root, upstream, nodes, targets, options, stop });
    }
    out.write('\nServing until Ctrl-C (SIGINT) or SIGTERM.\n');
    await stop;
    options.stderr.write('stopping the local fleet\n');
  } finally {
    await cleanup();
  }
}
