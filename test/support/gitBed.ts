import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A throw-away FluxOS-like git world in a temp dir, no network: a bare
 * upstream (`upstream.git`) with `master` and `preprod`, and node checkouts
 * cloned from it.
 *
 * History is written with one `git fast-import` process (no work tree, no
 * per-file `git add`), with fixed identities and timestamps, so a bed costs a
 * few git processes whatever its size and its commit ids are reproducible.
 * Git runs with no system or global config (GIT_CONFIG_NOSYSTEM,
 * GIT_CONFIG_GLOBAL=/dev/null) and none of the caller's GIT_* variables, so
 * the bed behaves the same on a bare CI machine, a developer's laptop, and
 * inside a git hook (where an inherited GIT_DIR would otherwise point every
 * command at the hook's repository).
 */

export interface GitBedOptions {
  /** Commits preprod has on top of master (the first one bumps package.json to 1.1.0). Default 2, minimum 1. */
  preprodAhead?: number;
  /** Give master a commit (a "fix") that preprod lacks, so preprod does not contain master's tip. */
  lagging?: boolean;
  /** Do not create the preprod branch at all. */
  noPreprod?: boolean;
  /** Add this many small tracked files spread over 32 directories (large-checkout tests). */
  extraFiles?: number;
  /** Fields merged over each branch's default package.json. */
  packageJson?: { master?: object; preprod?: object };
}

export interface CloneOptions {
  /** Branch to check out. Default: upstream HEAD (master). */
  branch?: string;
  /**
   * The URL the checkout's `origin` shows, e.g. `https://github.com/runonflux/flux`.
   * A repo-local `url.<upstream>.insteadOf=<remoteUrl>` sends every fetch to the bare repo.
   */
  remoteUrl?: string;
  /** The `initial` block of config/userconfig.js. Default DEFAULT_USERCONFIG. */
  userconfig?: object;
}

export interface GitBed {
  /** The bed's temp dir (real path). */
  readonly dir: string;
  /** Path of the bare upstream repository. */
  readonly upstream: string;
  /** Clone a node checkout into the bed; returns its path. */
  cloneNode(name?: string, options?: CloneOptions): Promise<string>;
  /** Write `<checkout>/config/userconfig.js` with this `initial` block. */
  writeUserconfig(dir: string, initial: object): Promise<void>;
  masterTip(): Promise<string>;
  /** Throws when the bed has no preprod branch; use tip('preprod') to test for it. */
  preprodTip(): Promise<string>;
  /** The upstream tip of any branch, null when it does not exist. */
  tip(branch: string): Promise<string | null>;
  /**
   * Advance an upstream branch by one commit (created from master when missing).
   * A null content deletes the file. Returns the new commit id.
   */
  commitTo(branch: string, files: Record<string, string | null>, message: string): Promise<string>;
  /** Delete an upstream branch. */
  deleteBranch(branch: string): Promise<void>;
  /** Run git with these arguments in `dir`, with the bed's isolated environment; returns trimmed stdout. */
  git(dir: string, ...args: string[]): Promise<string>;
  /** Remove the bed's temp dir. Idempotent. */
  cleanup(): Promise<void>;
}

export const DEFAULT_USERCONFIG = { ipaddress: '127.0.0.1', zelid: 'x', development: false };

export const BED_IDENTITY = { name: 'Flux Test', email: 'test@example.invalid' };

const FIRST_TIMESTAMP = 1_700_000_000;

/** The environment every bed git process gets: the caller's, minus GIT_*, plus isolation. */
export function bedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toUpperCase().startsWith('GIT_')) env[key] = value;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    GIT_AUTHOR_NAME: BED_IDENTITY.name,
    GIT_AUTHOR_EMAIL: BED_IDENTITY.email,
    GIT_COMMITTER_NAME: BED_IDENTITY.name,
    GIT_COMMITTER_EMAIL: BED_IDENTITY.email,
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
  };
}

/** `-c` options put before every bed git command. */
const BED_CONFIG = ['-c', 'init.defaultBranch=master', '-c', 'protocol.file.allow=always', '-c', 'core.autocrlf=false'];

export function runGit(cwd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...BED_CONFIG, ...args],
      { cwd, env: bedEnv(), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`git ${args.join(' ')} failed in ${cwd}: ${String(stderr).trim() || error.message}`));
          return;
        }
        resolve(String(stdout).trim());
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Same as runGit, but a non-zero exit resolves to null instead of rejecting (for `rev-parse --verify --quiet`). */
function runGitOrNull(cwd: string, args: string[]): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...BED_CONFIG, ...args], { cwd, env: bedEnv(), stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve(code === 0 ? out.trim() : null));
  });
}

function packageJsonFor(version: string, overrides: object | undefined): string {
  const base = {
    name: 'zelflux',
    version,
    description: 'Flux, a decentralised computing network (test bed)',
    main: 'app.js',
    scripts: { start: 'node app.js' },
    license: 'AGPL-3.0',
  };
  return `${JSON.stringify({ ...base, ...(overrides ?? {}) }, null, 2)}\n`;
}

function packageLockFor(packageJson: string): string {
  const pkg = JSON.parse(packageJson) as { name: string; version: string };
  const lock = {
    name: pkg.name,
    version: pkg.version,
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: pkg.name, version: pkg.version } },
  };
  return `${JSON.stringify(lock, null, 2)}\n`;
}

/** Builds a `git fast-import` stream. */
class ImportStream {
  private parts: string[] = [];
  private nextMark = 1;

  constructor(private clock: number) {}

  get time(): number {
    return this.clock;
  }

  /** Append a commit to `ref`; `from` is a mark (":3") or commit id, omitted to continue the ref. Returns its mark. */
  commit(ref: string, message: string, files: Record<string, string | null>, from?: string): string {
    const mark = `:${this.nextMark++}`;
    this.clock += 60;
    const who = `${BED_IDENTITY.name} <${BED_IDENTITY.email}> ${this.clock} +0000`;
    this.parts.push(`commit ${ref}\nmark ${mark}\nauthor ${who}\ncommitter ${who}\n${data(message)}`);
    if (from) this.parts.push(`from ${from}\n`);
    for (const [file, content] of Object.entries(files)) {
      if (/[\n"]/.test(file) || file.startsWith('/')) throw new Error(`Test bed file name not supported: ${file}`);
      this.parts.push(content === null ? `D ${file}\n` : `M 100644 inline ${file}\n${data(content)}`);
    }
    this.parts.push('\n');
    return mark;
  }

  text(): string {
    return `${this.parts.join('')}done\n`;
  }
}

function data(content: string): string {
  return `data ${Buffer.byteLength(content)}\n${content}\n`;
}

export async function createGitBed(options: GitBedOptions = {}): Promise<GitBed> {
  const preprodAhead = Math.max(1, options.preprodAhead ?? 2);
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'fluxos-preprod-bed-')));
  const upstream = path.join(dir, 'upstream.git');
  let clock = FIRST_TIMESTAMP;
  let nodes = 0;

  try {
    await runGit(dir, ['init', '--quiet', '--bare', upstream]);

    const stream = new ImportStream(clock);
    const masterPackage = packageJsonFor('1.0.0', options.packageJson?.master);
    const masterFiles: Record<string, string> = {
      '.gitignore': 'config/userconfig.js\nnode_modules/\n*.log\n',
      'package.json': masterPackage,
      'package-lock.json': packageLockFor(masterPackage),
      'app.js': "console.log('flux master');\n",
      'README.md': '# Flux test bed\n',
      'ZelBack/config/default.js': 'module.exports = { server: { apiport: 16127 } };\n',
      'ZelBack/src/services/serviceManager.js': 'module.exports = { start() { return true; } };\n',
      'helpers/checks.js': 'module.exports = () => true;\n',
    };
    const extraFiles = Math.max(0, options.extraFiles ?? 0);
    for (let i = 0; i < extraFiles; i += 1) {
      masterFiles[`lib/dir${i % 32}/file${i}.js`] = `module.exports = ${i};\n`;
    }
    const base = stream.commit('refs/heads/master', 'Initial FluxOS test bed', masterFiles);

    if (!options.noPreprod) {
      const preprodPackage = packageJsonFor('1.1.0', options.packageJson?.preprod);
      stream.commit(
        'refs/heads/preprod',
        'Release candidate 1.1.0',
        {
          'package.json': preprodPackage,
          'package-lock.json': packageLockFor(preprodPackage),
          'app.js': "console.log('flux preprod');\n",
        },
        base,
      );
      for (let i = 1; i < preprodAhead; i += 1) {
        stream.commit('refs/heads/preprod', `Preprod feature ${i}`, {
          [`ZelBack/src/feature${i}.js`]: `module.exports = ${i};\n`,
        });
      }
    }
    if (options.lagging) {
      stream.commit('refs/heads/master', 'Hotfix that preprod lacks', {
        'ZelBack/src/hotfix.js': 'module.exports = "fix";\n',
      });
    }
    clock = stream.time;
    await runGit(upstream, ['fast-import', '--quiet'], stream.text());
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }

  const tip = (branch: string): Promise<string | null> =>
    runGitOrNull(upstream, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);

  const writeUserconfig = async (checkout: string, initial: object): Promise<void> => {
    await fs.mkdir(path.join(checkout, 'config'), { recursive: true });
    await fs.writeFile(
      path.join(checkout, 'config', 'userconfig.js'),
      `module.exports = ${JSON.stringify({ initial }, null, 2)};\n`,
    );
  };

  const bed: GitBed = {
    dir,
    upstream,

    async cloneNode(name?: string, cloneOptions: CloneOptions = {}): Promise<string> {
      nodes += 1;
      const checkout = path.join(dir, name ?? `node${nodes}`);
      const args = ['clone', '--quiet'];
      if (cloneOptions.branch) args.push('--branch', cloneOptions.branch);
      if (cloneOptions.remoteUrl) args.push('--config', `url.${upstream}.insteadOf=${cloneOptions.remoteUrl}`);
      args.push('--', cloneOptions.remoteUrl ?? upstream, checkout);
      await runGit(dir, args);
      await writeUserconfig(checkout, cloneOptions.userconfig ?? DEFAULT_USERCONFIG);
      return checkout;
    },

    writeUserconfig,

    async masterTip(): Promise<string> {
      const sha = await tip('master');
      if (!sha) throw new Error('The test bed has no master branch.');
      return sha;
    },

    async preprodTip(): Promise<string> {
      const sha = await tip('preprod');
      if (!sha) throw new Error('The test bed has no preprod branch.');
      return sha;
    },

    tip,

    async commitTo(branch: string, files: Record<string, string | null>, message: string): Promise<string> {
      const parent = (await tip(branch)) ?? (await tip('master'));
      if (!parent) throw new Error(`Cannot commit to ${branch}: the test bed has neither it nor master.`);
      const stream = new ImportStream(clock);
      stream.commit(`refs/heads/${branch}`, message, files, parent);
      clock = stream.time;
      await runGit(upstream, ['fast-import', '--quiet'], stream.text());
      return (await tip(branch)) as string;
    },

    async deleteBranch(branch: string): Promise<void> {
      await runGit(upstream, ['update-ref', '-d', `refs/heads/${branch}`]);
    },

    git(cwd: string, ...args: string[]): Promise<string> {
      return runGit(cwd, args);
    },

    async cleanup(): Promise<void> {
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  return bed;
}
