/**
 * A FluxOS-shaped node run the way legacy nodes run FluxOS: the real pm2 (a daemon of its own per test, in
 * a temp PM2_HOME) runs the real nodemon with FluxOS's own nodemon.json (read from the FluxOS mirror when
 * there is one, else the same lists; only the delay shortened; the crash hook included), which runs
 * `node app.js`. app.js differs between master and preprod, starts with the recipe's guard line (the guard
 * file is the recipe's), says which release runs, then boots through this package's build.
 *
 * The app appends one JSON line per event to an events file (`started` before anything is required,
 * `boot` with the result and the crash-loop counter), stamped with its pid.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { bedEnv, createGitBed, type GitBed } from '../gitBed';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../../..');
const INDEX = path.join(ROOT, 'build/src/index.js');
// The test-only factory: the package's createPreprodService takes no timing seams (a recheck in seconds).
const TESTING = path.join(ROOT, 'build/src/testing.js');
const NODEMON = path.join(ROOT, 'node_modules/nodemon/bin/nodemon.js');
const PM2 = path.join(ROOT, 'node_modules/pm2/bin/pm2');
const GUARD = path.join(ROOT, 'examples/fluxos/preprodGuard.js');
const FLUXOS_MIRROR = '/work/.mirror/RunOnFlux+flux/repo';
export const NODEMON_DELAY_MS = 1000;

/** FluxOS v8.17.0's nodemon.json with the delay shortened; from the mirror when it is on this machine. */
export function fluxosNodemonJson(): string {
  let config: Record<string, unknown>;
  try {
    const text = execFileSync('git', ['--git-dir', FLUXOS_MIRROR, 'show', 'master:nodemon.json'], { encoding: 'utf8' });
    config = JSON.parse(text) as Record<string, unknown>;
  } catch {
    config = {
      verbose: true,
      delay: 5000,
      events: { crash: 'npm install --omit=dev --legacy-peer-deps' },
      watch: [
        'package-lock.json',
        'yarn.lock',
        'package.json',
        'ZelBack/',
        'app.js',
        'apiServer.js',
        'helpers/',
        'lib/',
      ],
      ignore: ['config/'],
    };
  }
  return `${JSON.stringify({ ...config, delay: NODEMON_DELAY_MS }, null, 2)}\n`;
}

/** The recipe's lines at the top of FluxOS's app.js (examples/fluxos/insertions.js). */
function guardLines(): string {
  const { insertions } = require(path.join(ROOT, 'examples/fluxos/insertions.js')) as {
    insertions(options: object): Array<{ file: string; lines: string[] }>;
  };
  const app = insertions({ dependency: 'x' }).find((insertion) => insertion.file === 'app.js');
  if (!app) throw new Error('The FluxOS recipe has no app.js insertion.');
  return `${app.lines.join('\n')}\n`;
}

/** app.js of one release: `release` differs between branches, so the checkout replaces the file. */
export function appSource(release: string): string {
  return `${guardLines()}process.env.NODE_CONFIG_DIR = \`\${__dirname}/ZelBack/config/\`;
const fs = require('fs');
const path = require('path');
const RELEASE = ${JSON.stringify(release)};
const config = JSON.parse(process.env.FLUXOS_BED_CONFIG);
const emit = (event) =>
  fs.appendFileSync(
    config.events,
    JSON.stringify({ ...event, release: RELEASE, at: Date.now(), pid: process.pid }) + '\\n',
  );
const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'));
emit({ event: 'started', version, dep: fs.existsSync(path.join(__dirname, 'node_modules', 'dep')) });
const release = require('./ZelBack/src/release.js');
const { FileStateStore } = require(config.index);
const { createTestService } = require(config.testing);
const store = new FileStateStore(config.store);
const log = (level) => (message) => emit({ event: 'log', level, message });
const service = createTestService({
  repoDir: __dirname,
  store,
  settings: { preProd: { remote: config.remote, probability: 1, restart: 'auto', fetchTimeoutMs: 5000,
    installCommand: config.install, healthyAfterMs: 3600000 } },
  logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: () => undefined },
  backgroundChecks: Boolean(config.recheckMs),
  backgroundTimings: config.recheckMs
    ? { firstMinMs: config.recheckMs, firstMaxMs: config.recheckMs, everyMs: 3600000 }
    : undefined,
});
service.runAtBoot().then(async (result) => {
  emit({ event: 'boot', version, result, counter: await store.get('preProdBootHealth') });
  release.start();
});
setInterval(() => undefined, 3600000);
`;
}

export const HEALTHY_RELEASE = 'module.exports = { start() {} };\n';
export const THROWS_AT_IMPORT =
  "throw new Error('release candidate: a module FluxOS requires before initiate() throws');\n";
/** A release that needs a dependency: it crashes on a missing module when it runs before its install. */
export const NEEDS_DEP = "require('dep');\nmodule.exports = { start() {} };\n";

export interface Release {
  /** ZelBack/src/release.js on preprod. */
  release: string;
  /** preprod's package.json gets a new dependency (the switch installs). */
  newDependency?: boolean;
  /** Leave the guard's file out (app.js's recipe line then finds nothing): the package alone. */
  noGuard?: boolean;
}

/** A bed whose master runs HEALTHY_RELEASE and whose preprod runs `preprod`, both with the guard. */
export async function createFluxosBed(preprod: Release): Promise<GitBed> {
  const bed = await createGitBed({ noPreprod: true });
  const pkg = JSON.parse(await bed.git(bed.upstream, 'show', 'master:package.json')) as Record<string, unknown>;
  const guard = await fs.readFile(GUARD, 'utf8');
  await bed.commitTo(
    'master',
    {
      'app.js': appSource('master'),
      'nodemon.json': fluxosNodemonJson(),
      'ZelBack/src/release.js': HEALTHY_RELEASE,
      ...(preprod.noGuard ? {} : { 'ZelBack/src/services/preprodGuard.js': guard }),
      // npm's crash-hook install writes no lockfile (FluxOS ignores it; here it would restart nodemon).
      '.npmrc': 'package-lock=false\naudit=false\nfund=false\nupdate-notifier=false\n',
    },
    'FluxOS-shaped app',
  );
  const preprodPackage = {
    ...pkg,
    version: '1.1.0',
    ...(preprod.newDependency ? { dependencies: { dep: '1.0.0' } } : {}),
  };
  await bed.commitTo(
    'preprod',
    {
      'app.js': appSource('preprod'),
      'package.json': `${JSON.stringify(preprodPackage, null, 2)}\n`,
      'ZelBack/src/release.js': preprod.release,
    },
    'Release candidate 1.1.0',
  );
  return bed;
}

export interface BedEvent {
  event: 'started' | 'boot' | 'log';
  release: string;
  version: string;
  /** started: whether node_modules/dep existed when this process started. */
  dep?: boolean;
  pid: number;
  at: number;
  message?: string;
  result?: { mode: string; reason: string; branch: { before: string | null; after: string | null; switched: boolean } };
  counter?: { unhealthyBoots?: number; fellBackAt?: string } | null;
}

export interface NodeConfig {
  remote: string;
  store: string;
  events: string;
  install: string[];
  recheckMs?: number;
}

/** The real pm2, with a daemon of its own (PM2_HOME in `home`); kill() stops it and everything it runs. */
export class Pm2 {
  readonly env: NodeJS.ProcessEnv;

  constructor(readonly home: string) {
    this.env = { ...bedEnv(), PM2_HOME: home, HOME: home, npm_config_offline: 'true' };
  }

  async run(...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync(process.execPath, [PM2, ...args], { env: this.env, timeout: 120_000 });
    return stdout;
  }

  /** `pm2 start start.sh` for the node: a shell that execs nodemon on app.js, as FluxOS's start script ends up. */
  async startFlux(node: string, config: NodeConfig, how: 'nodemon' | 'direct' = 'nodemon'): Promise<void> {
    const appConfig = JSON.stringify({ index: INDEX, testing: TESTING, ...config });
    await fs.mkdir(this.home, { recursive: true });
    const script = path.join(this.home, 'start.sh');
    await fs.writeFile(script, `#!/bin/sh\ncd "$1" && exec "${process.execPath}" "${NODEMON}" app.js\n`, {
      mode: 0o755,
    });
    const env = { ...this.env, FLUXOS_BED_CONFIG: appConfig };
    // direct: pm2 runs `node app.js` itself (pm2 restarts what exits: the package's `exit` strategy).
    const args =
      how === 'nodemon'
        ? ['start', script, '--name', 'flux', '--interpreter', 'sh', '--', node]
        : ['start', path.join(node, 'app.js'), '--name', 'flux', '--cwd', node];
    await execFileAsync(process.execPath, [PM2, ...args], { env, timeout: 120_000 });
  }

  /** nodemon's own output so far (its "app crashed" lines), from pm2's log file. */
  nodemonLog(): string {
    try {
      return readFileSync(path.join(this.home, 'logs', 'flux-out.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async kill(): Promise<void> {
    await this.run('kill').catch(() => undefined);
  }
}

export function readEvents(file: string): BedEvent[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as BedEvent);
  } catch {
    return [];
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it is true; `timeoutMs` only catches a hang. */
export async function waitUntil(
  what: string,
  check: () => boolean,
  why: () => string,
  timeoutMs = 90_000,
): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`No ${what} within ${timeoutMs} ms.\n${why()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
