import { expect } from 'chai';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { ErrorKind, PreprodError } from '../../src/errors';
import {
  gitEnvironment,
  gitProcessesIn,
  openRepository,
  Repository,
  trackedVersion,
} from '../../src/checkout/repository';
import { bedEnv, createGitBed, GitBed, GitBedOptions } from '../support/gitBed';

const GITHUB_CLONE_URL = 'https://github.com/runonflux/flux';
const CONFIGURED_URL = 'https://github.com/RunOnFlux/flux.git';

async function rejection(promise: Promise<unknown>, kind: ErrorKind): Promise<PreprodError> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(PreprodError);
    expect((error as PreprodError).kind, (error as Error).message).to.equal(kind);
    expect((error as Error).message.split('\n')).to.have.length(1);
    return error as PreprodError;
  }
  throw new Error(`Expected a ${kind} rejection.`);
}

/** Branch and commit of HEAD, without the tracked upstream that head() also reports. */
async function headOf(repo: Repository): Promise<{ branch: string | null; commit: string }> {
  const { branch, commit } = await repo.head();
  return { branch, commit };
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

async function oldFile(file: string, content = ''): Promise<void> {
  await fs.writeFile(file, content);
  const past = new Date(Date.now() - 60_000);
  await fs.utimes(file, past, past);
}

/** Retry an assertion about processes for a moment: a killed process takes a few ms to disappear. */
async function eventually(check: () => Promise<void>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

describe('Repository (real git)', () => {
  let bed: GitBed;
  const children: ChildProcess[] = [];

  const setUp = async (options?: GitBedOptions): Promise<GitBed> => {
    bed = await createGitBed(options);
    return bed;
  };

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    if (bed) await bed.cleanup();
  });

  describe('head', () => {
    it('reads branch and commit in exactly one git process', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const spawned: Array<readonly string[]> = [];
      const repo = openRepository(node, { onGitSpawn: (args) => spawned.push(args) });
      expect(await headOf(repo)).to.deep.equal({ branch: 'master', commit: await bed.masterTip() });
      expect(spawned).to.have.length(1);
    });

    it('reports a detached HEAD as branch null', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const preprod = await bed.preprodTip();
      await bed.git(node, 'checkout', '--quiet', '--detach', 'origin/preprod');
      expect(await headOf(openRepository(node))).to.deep.equal({ branch: null, commit: preprod });
    });

    it('is not fooled by a tag named like the branch', async () => {
      await setUp();
      const node = await bed.cloneNode();
      await bed.git(node, 'tag', 'master', 'origin/preprod');
      expect((await openRepository(node).head()).branch).to.equal('master');
    });

    it('acts on its own checkout even with GIT_DIR and EDITOR in the environment', async () => {
      await setUp();
      const node = await bed.cloneNode('node');
      const other = await bed.cloneNode('other', { branch: 'preprod' });
      const saved = { GIT_DIR: process.env.GIT_DIR, EDITOR: process.env.EDITOR };
      process.env.GIT_DIR = path.join(other, '.git');
      process.env.EDITOR = 'vi';
      let repo: Repository;
      try {
        repo = openRepository(node);
      } finally {
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
      expect((await repo.head()).branch).to.equal('master');
    });

    const notCheckouts: Array<{ name: string; dir: (b: GitBed) => Promise<string> }> = [
      { name: 'a directory that does not exist', dir: async (b) => path.join(b.dir, 'missing') },
      {
        name: 'a directory that is not a git checkout',
        dir: async (b) => {
          const plain = path.join(b.dir, 'plain');
          await fs.mkdir(plain);
          // A ceiling stops git from finding a repository above the temp dir.
          return plain;
        },
      },
    ];
    for (const c of notCheckouts) {
      it(`rejects with repo-unreadable for ${c.name}, without throwing synchronously`, async () => {
        await setUp();
        const dir = await c.dir(bed);
        const saved = process.env.GIT_CEILING_DIRECTORIES;
        process.env.GIT_CEILING_DIRECTORIES = bed.dir;
        try {
          const repo = openRepository(dir);
          const error = await rejection(repo.head(), 'repo-unreadable');
          expect(error.message).to.include(dir).and.include('point the boot at the FluxOS checkout');
        } finally {
          if (saved === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
          else process.env.GIT_CEILING_DIRECTORIES = saved;
        }
      });
    }
  });

  describe('findRemote', () => {
    it('finds the remote cloned from the README URL when the configured one differs in case and .git', async () => {
      await setUp();
      const node = await bed.cloneNode('gh', { remoteUrl: GITHUB_CLONE_URL });
      const repo = openRepository(node);
      expect(await repo.findRemote(CONFIGURED_URL)).to.equal('origin');
      expect(await repo.findRemote('git@github.com:RunOnFlux/flux.git')).to.equal('origin');
      expect(await repo.findRemote('https://github.com/someone/flux.git')).to.equal(null);
    });

    it('finds a local upstream by path, among several remotes, preferring origin', async () => {
      await setUp();
      const node = await bed.cloneNode();
      await bed.git(node, 'remote', 'add', 'fork', 'https://github.com/someone/flux.git');
      await bed.git(node, 'remote', 'add', 'mirror', `${bed.upstream}/`);
      await bed.git(node, 'remote', 'add', 'my.dotted', CONFIGURED_URL);
      const repo = openRepository(node);
      expect(await repo.findRemote(bed.upstream.replace(/\.git$/, ''))).to.equal('origin');
      expect(await repo.findRemote('https://github.com/someone/flux')).to.equal('fork');
      expect(await repo.findRemote(CONFIGURED_URL)).to.equal('my.dotted');
    });

    it('answers null when the checkout has no remote at all', async () => {
      await setUp();
      const node = await bed.cloneNode();
      await bed.git(node, 'remote', 'remove', 'origin');
      expect(await openRepository(node).findRemote(bed.upstream)).to.equal(null);
    });
  });

  describe('fetch, remoteTip, isAncestor', () => {
    it('fetches both managed branches into their remote-tracking refs', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const master = await bed.commitTo('master', { 'app.js': "console.log('v2');\n" }, 'v2');
      const preprod = await bed.commitTo('preprod', { 'app.js': "console.log('rc2');\n" }, 'rc2');
      const repo = openRepository(node);
      await repo.fetch('origin', ['master', 'preprod'], 5000);
      expect(await repo.remoteTip('origin', 'master')).to.equal(master);
      expect(await repo.remoteTip('origin', 'preprod')).to.equal(preprod);
      expect(await repo.isAncestor(master, preprod)).to.equal(false);
      expect(
        await repo.isAncestor((await repo.remoteTip('origin', 'master')) as string, 'refs/remotes/origin/master'),
      ).to.equal(true);
      // Fetching touches neither the checkout nor local branches.
      expect(await headOf(repo)).to.deep.equal({
        branch: 'master',
        commit: await bed.git(node, 'rev-parse', 'refs/heads/master'),
      });
      expect(await bed.git(node, 'status', '--porcelain')).to.equal('');
    });

    it('fetches through insteadOf when the remote is the GitHub URL', async () => {
      await setUp();
      const node = await bed.cloneNode('gh', { remoteUrl: GITHUB_CLONE_URL });
      const next = await bed.commitTo('preprod', { 'x.js': '1;\n' }, 'x');
      const repo = openRepository(node);
      const remote = await repo.findRemote(CONFIGURED_URL);
      await repo.fetch(remote as string, ['master', 'preprod'], 5000);
      expect(await repo.remoteTip('origin', 'preprod')).to.equal(next);
    });

    const shapes: Array<{ name: string; options: GitBedOptions; preprod: 'present' | 'missing'; contained: boolean }> =
      [
        { name: 'a preprod that contains master', options: {}, preprod: 'present', contained: true },
        { name: 'a lagging preprod', options: { lagging: true }, preprod: 'present', contained: false },
        { name: 'no preprod on the remote', options: { noPreprod: true }, preprod: 'missing', contained: false },
      ];
    for (const shape of shapes) {
      it(`detects ${shape.name}`, async () => {
        await setUp(shape.options);
        const node = await bed.cloneNode();
        const repo = openRepository(node);
        await repo.fetch('origin', ['master', 'preprod'], 5000);
        const master = await repo.remoteTip('origin', 'master');
        const preprod = await repo.remoteTip('origin', 'preprod');
        expect(master).to.equal(await bed.masterTip());
        expect(preprod).to.equal(await bed.tip('preprod'));
        expect(preprod === null ? 'missing' : 'present').to.equal(shape.preprod);
        const contained = preprod !== null && (await repo.isAncestor(master as string, preprod));
        expect(contained).to.equal(shape.contained);
      });
    }

    it('forgets a preprod that was deleted upstream after an earlier fetch', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const repo = openRepository(node);
      expect(await repo.remoteTip('origin', 'preprod')).to.equal(await bed.preprodTip());
      await bed.deleteBranch('preprod');
      await repo.fetch('origin', ['master', 'preprod'], 5000);
      expect(await repo.remoteTip('origin', 'preprod')).to.equal(null);
      expect(await repo.remoteTip('origin', 'master')).to.equal(await bed.masterTip());
    });

    it('does nothing for an empty branch list (ls-remote would list every head)', async () => {
      await setUp();
      const node = await bed.cloneNode();
      let spawned = 0;
      await openRepository(node, { onGitSpawn: () => (spawned += 1) }).fetch('origin', [], 5000);
      expect(spawned).to.equal(0);
    });

    it('isAncestor throws for an unknown commit instead of answering false', async () => {
      await setUp();
      const node = await bed.cloneNode();
      await rejection(openRepository(node).isAncestor('0'.repeat(40), await bed.masterTip()), 'git-failed');
    });

    it('fails with fetch-failed when the remote does not exist, leaving the checkout as it was', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const repo = openRepository(node);
      const before = await headOf(repo);
      await bed.git(node, 'remote', 'set-url', 'origin', path.join(bed.dir, 'nowhere.git'));
      const error = await rejection(repo.fetch('origin', ['master', 'preprod'], 5000), 'fetch-failed');
      expect(error.message).to.match(
        /^Fetching master, preprod from origin failed: .*nowhere\.git.* does not appear to be a git repository\.$/,
      );
      expect(await headOf(repo)).to.deep.equal(before);
    });

    describe('against a remote that accepts connections and never answers', () => {
      let server: net.Server;
      const sockets: net.Socket[] = [];
      let port: number;

      beforeEach(async () => {
        server = net.createServer((socket) => sockets.push(socket));
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        port = (server.address() as net.AddressInfo).port;
      });
      afterEach(async () => {
        sockets.splice(0).forEach((socket) => socket.destroy());
        await new Promise((resolve) => server.close(resolve));
      });

      it('gives fetch-failed within the timeout, kills every git process, and changes nothing', async () => {
        await setUp();
        const node = await bed.cloneNode();
        await bed.git(node, 'remote', 'set-url', 'origin', `http://127.0.0.1:${port}/x.git`);
        const repo = openRepository(node);
        const before = await headOf(repo);
        const started = Date.now();
        const error = await rejection(repo.fetch('origin', ['master', 'preprod'], 800), 'fetch-failed');
        const elapsed = Date.now() - started;
        expect(error.message).to.equal('Fetching master, preprod from origin failed: no answer within 800 ms.');
        // It waited for the deadline; how much longer it took depends on the machine's load, so no upper bound.
        expect(elapsed).to.be.at.least(750);
        expect(sockets.length).to.be.at.least(1);
        expect(await headOf(repo)).to.deep.equal(before);
        expect(await bed.git(node, 'status', '--porcelain')).to.equal('');
        // The remote helper (git-remote-http) is a grandchild; it must be gone too.
        const realNode = await fs.realpath(node);
        await eventually(async () => {
          expect(await gitProcessesIn([realNode, path.join(realNode, '.git')])).to.deep.equal([]);
        });
      });
    });
  });

  describe('switchTo', () => {
    it('round-trips master → preprod → master without moving the other branch (the seed moved master)', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const masterTip = await bed.masterTip();
      const preprodTip = await bed.preprodTip();
      await bed.git(node, 'branch', 'feature', 'HEAD');
      const repo = openRepository(node);

      await repo.fetch('origin', ['master', 'preprod'], 5000);
      const there = await repo.switchTo('preprod', 'origin');
      expect(there).to.deep.equal({ from: masterTip, to: preprodTip, depsChanged: true });
      expect(await headOf(repo)).to.deep.equal({ branch: 'preprod', commit: preprodTip });
      expect(await bed.git(node, 'rev-parse', 'refs/heads/master')).to.equal(masterTip);
      expect(await bed.git(node, 'rev-parse', '--symbolic-full-name', 'preprod@{upstream}')).to.equal(
        'refs/remotes/origin/preprod',
      );
      expect(await fs.readFile(path.join(node, 'app.js'), 'utf8')).to.equal("console.log('flux preprod');\n");

      // A fix lands on master while the node is on preprod.
      const fixed = await bed.commitTo('master', { 'ZelBack/src/fix.js': '1;\n' }, 'fix');
      await repo.fetch('origin', ['master', 'preprod'], 5000);
      const back = await repo.switchTo('master', 'origin');
      expect(back).to.deep.equal({ from: preprodTip, to: fixed, depsChanged: true });
      expect(await headOf(repo)).to.deep.equal({ branch: 'master', commit: fixed });
      expect(await bed.git(node, 'rev-parse', 'refs/heads/preprod')).to.equal(preprodTip);
      expect(await bed.git(node, 'rev-parse', 'refs/heads/feature')).to.equal(masterTip);
      expect(await bed.git(node, 'rev-parse', '--symbolic-full-name', 'master@{upstream}')).to.equal(
        'refs/remotes/origin/master',
      );
      expect(await bed.git(node, 'status', '--porcelain')).to.equal('');
    });

    it('keeps ignored and untracked files byte for byte, and saves local edits before overwriting them', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const ignored: Record<string, Buffer> = {
        'config/userconfig.js': await fs.readFile(path.join(node, 'config', 'userconfig.js')),
        'node_modules/x/index.js': Buffer.from('module.exports = 42;\n'),
        'debug.log': Buffer.from([0, 1, 2, 255, 10]),
      };
      await fs.mkdir(path.join(node, 'node_modules', 'x'), { recursive: true });
      for (const [file, content] of Object.entries(ignored)) await fs.writeFile(path.join(node, file), content);
      await fs.writeFile(path.join(node, 'stray.txt'), 'left over\n');
      await fs.mkdir(path.join(node, 'scratch'));
      await fs.writeFile(path.join(node, 'scratch', 'notes.txt'), 'x\n');
      await fs.writeFile(path.join(node, 'app.js'), 'hacked locally\n');
      const repo = openRepository(node);

      for (const branch of ['preprod', 'master']) {
        await repo.fetch('origin', ['master', 'preprod'], 5000);
        await repo.switchTo(branch, 'origin');
        for (const [file, content] of Object.entries(ignored)) {
          expect(await fs.readFile(path.join(node, file)), file).to.deep.equal(content);
        }
        // Never `git clean`: untracked files stay too.
        expect(await fs.readFile(path.join(node, 'stray.txt'), 'utf8')).to.equal('left over\n');
        expect(await fs.readFile(path.join(node, 'scratch', 'notes.txt'), 'utf8')).to.equal('x\n');
        expect(await bed.git(node, 'status', '--porcelain', '--untracked-files=no')).to.equal('');
      }
      expect(await fs.readFile(path.join(node, 'app.js'), 'utf8')).to.equal("console.log('flux master');\n");
      // The local edit was overwritten, but kept in a backup stash commit.
      const saved = await bed.git(node, 'for-each-ref', '--format=%(objectname)', 'refs/fluxos-preprod/backups/');
      expect(saved.split('\n')).to.have.length(1);
      expect(await bed.git(node, 'show', `${saved}:app.js`)).to.equal('hacked locally');
    });

    it('works in a single-branch clone, whose fetch refspec does not cover preprod', async () => {
      await setUp();
      const node = await bed.cloneNode();
      await bed.git(node, 'config', 'remote.origin.fetch', '+refs/heads/master:refs/remotes/origin/master');
      await bed.git(node, 'update-ref', '-d', 'refs/remotes/origin/preprod');
      const repo = openRepository(node);
      await repo.fetch('origin', ['master', 'preprod'], 5000);
      await repo.switchTo('preprod', 'origin');
      expect(await headOf(repo)).to.deep.equal({ branch: 'preprod', commit: await bed.preprodTip() });
      expect(await bed.git(node, 'config', 'branch.preprod.merge')).to.equal('refs/heads/preprod');
    });

    const depsCases: Array<{
      name: string;
      options?: GitBedOptions;
      upstream?: Record<string, string>;
      branch: string;
      depsChanged: boolean;
    }> = [
      { name: 'package.json differs between master and preprod', branch: 'preprod', depsChanged: true },
      {
        name: 'same package files on both branches',
        options: { packageJson: { preprod: { version: '1.0.0' } } },
        branch: 'preprod',
        depsChanged: false,
      },
      {
        name: 'package-lock.json changed upstream',
        upstream: { 'package-lock.json': '{"lockfileVersion":3}\n' },
        branch: 'master',
        depsChanged: true,
      },
      {
        name: 'only code changed upstream',
        upstream: { 'app.js': "console.log('v2');\n" },
        branch: 'master',
        depsChanged: false,
      },
    ];
    for (const c of depsCases) {
      it(`depsChanged is ${c.depsChanged} when ${c.name}`, async () => {
        await setUp(c.options);
        const node = await bed.cloneNode();
        if (c.upstream) await bed.commitTo('master', c.upstream, 'upstream change');
        const repo = openRepository(node);
        await repo.fetch('origin', ['master', 'preprod'], 5000);
        const result = await repo.switchTo(c.branch, 'origin');
        expect(result.depsChanged).to.equal(c.depsChanged);
        expect(result.to).to.equal(await bed.tip(c.branch));
      });
    }

    it('refuses a branch that was not fetched, leaving the checkout as it was', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const repo = openRepository(node);
      const before = await headOf(repo);
      const error = await rejection(repo.switchTo('release', 'origin'), 'git-failed');
      expect(error.message).to.match(/origin\/release has not been fetched/);
      expect(await headOf(repo)).to.deep.equal(before);
    });

    it('recovers a stale index.lock left by a killed git', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const lock = path.join(node, '.git', 'index.lock');
      await oldFile(lock);
      const repo = openRepository(node);
      await repo.fetch('origin', ['master', 'preprod'], 5000);
      await repo.switchTo('preprod', 'origin');
      expect(await exists(lock)).to.equal(false);
      expect((await repo.head()).branch).to.equal('preprod');
    });

    const runningGits: Array<{ name: string; args: (node: string) => string[]; cwd: (node: string) => string }> = [
      { name: 'in the checkout', args: () => ['cat-file', '--batch'], cwd: (node) => node },
      {
        name: 'with -C from elsewhere',
        args: (node) => ['-C', node, 'cat-file', '--batch'],
        cwd: (node) => path.dirname(node),
      },
    ];
    for (const running of runningGits) {
      it(`leaves index.lock alone while a git process runs ${running.name}`, async () => {
        await setUp();
        const node = await bed.cloneNode();
        const repo = openRepository(node);
        await repo.fetch('origin', ['master', 'preprod'], 5000);
        const git = spawn('git', running.args(node), {
          cwd: running.cwd(node),
          env: bedEnv(),
          stdio: ['pipe', 'ignore', 'ignore'],
        });
        children.push(git);
        await new Promise((resolve) => git.once('spawn', resolve));
        const lock = path.join(node, '.git', 'index.lock');
        await oldFile(lock);
        const before = await headOf(repo);
        // The git never ends: after waiting (briefly here) the lock still counts as held.
        const error = await rejection(repo.switchTo('preprod', 'origin', { waitForGitMs: 300 }), 'git-failed');
        expect(error.message).to.include(`held by a running git process (pid ${git.pid})`);
        expect(await exists(lock)).to.equal(true);
        expect(await headOf(repo)).to.deep.equal(before);
      });
    }

    it('removes a fresh index.lock at once when no git runs (a SIGKILL leaves one), unless asked to wait', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const lock = path.join(node, '.git', 'index.lock');
      await fs.writeFile(lock, '');
      const guarded = openRepository(node, { staleLockAgeMs: 60_000 });
      await guarded.fetch('origin', ['master', 'preprod'], 5000);
      const error = await rejection(guarded.switchTo('preprod', 'origin'), 'git-failed');
      expect(error.message).to.match(/index\.lock is only \d+ s old/);
      expect(await exists(lock)).to.equal(true);
      await openRepository(node).switchTo('preprod', 'origin');
      expect(await exists(lock)).to.equal(false);
    });

    const gitDirLocks = [
      'HEAD.lock',
      'config.lock',
      'packed-refs.lock',
      'refs/heads/preprod.lock',
      'refs/heads/master.lock',
    ];
    for (const name of gitDirLocks) {
      it(`removes a ${name} left by a killed git before switching (it would fail every later switch)`, async () => {
        await setUp();
        const node = await bed.cloneNode();
        const lock = path.join(node, '.git', name);
        await fs.mkdir(path.dirname(lock), { recursive: true });
        await fs.writeFile(lock, '');
        const repo = openRepository(node);
        await repo.fetch('origin', ['master', 'preprod'], 5000);
        await repo.switchTo('preprod', 'origin');
        expect(await exists(lock)).to.equal(false);
        expect(await headOf(repo)).to.deep.equal({ branch: 'preprod', commit: await bed.preprodTip() });
      });
    }

    it('recovers a stale remote-tracking ref lock before fetching', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const lock = path.join(node, '.git', 'refs', 'remotes', 'origin', 'master.lock');
      await oldFile(lock, `${'0'.repeat(40)}\n`);
      const next = await bed.commitTo('master', { 'a.js': '1;\n' }, 'a');
      const repo = openRepository(node);
      await repo.fetch('origin', ['master'], 5000);
      expect(await repo.remoteTip('origin', 'master')).to.equal(next);
    });
  });

  describe('names from config are validated before git runs', () => {
    const bad: Array<{ name: string; call: (repo: Repository) => Promise<unknown> }> = [
      { name: 'switchTo an option-like branch', call: (repo) => repo.switchTo('--orphan', 'origin') },
      { name: 'switchTo with an option-like remote', call: (repo) => repo.switchTo('preprod', '-c') },
      { name: 'fetch a branch with a space', call: (repo) => repo.fetch('origin', ['master', 'pre prod'], 1000) },
      { name: 'fetch a revision-syntax branch', call: (repo) => repo.fetch('origin', ['master^'], 1000) },
      { name: 'remoteTip with ..', call: (repo) => repo.remoteTip('origin', '../heads/master') },
      { name: 'isAncestor with an option', call: (repo) => repo.isAncestor('--all', 'HEAD') },
      { name: 'readFileAt with a colon ref', call: (repo) => repo.readFileAt('HEAD:x', 'package.json') },
    ];
    for (const c of bad) {
      it(`${c.name}: config-invalid, no git process`, async () => {
        await setUp();
        const node = await bed.cloneNode();
        let spawned = 0;
        const repo = openRepository(node, { onGitSpawn: () => (spawned += 1) });
        await rejection(c.call(repo), 'config-invalid');
        expect(spawned).to.equal(0);
      });
    }
  });

  describe('readFileAt and trackedVersion', () => {
    it('reads a file at a commit, null for a missing file or ref', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const repo = openRepository(node);
      const preprod = await bed.preprodTip();
      expect(JSON.parse((await repo.readFileAt(preprod, 'package.json')) as string).version).to.equal('1.1.0');
      expect(await repo.readFileAt('refs/remotes/origin/master', 'app.js')).to.equal("console.log('flux master');\n");
      expect(await repo.readFileAt(preprod, 'no/such/file.js')).to.equal(null);
      expect(await repo.readFileAt('refs/remotes/origin/nope', 'package.json')).to.equal(null);
    });

    const settings = (remote: string) => ({
      branch: 'preprod',
      productionBranch: 'master',
      remote,
      fetchTimeoutMs: 5000,
    });

    it('gives the version at the remote tip of the branch the node is on, fetched fresh', async () => {
      await setUp();
      const master = await bed.cloneNode('m');
      const preprod = await bed.cloneNode('p', { branch: 'preprod' });
      const bumped = await bed.commitTo(
        'preprod',
        { 'package.json': '{"name":"zelflux","version":"1.2.0"}\n' },
        '1.2.0',
      );
      expect(await openRepository(master).trackedVersion(settings(bed.upstream))).to.deep.equal({
        branch: 'master',
        remote: 'origin',
        commit: await bed.masterTip(),
        version: '1.0.0',
      });
      expect(await openRepository(preprod).trackedVersion(settings(bed.upstream))).to.deep.equal({
        branch: 'preprod',
        remote: 'origin',
        commit: bumped,
        version: '1.2.0',
      });
      // The checkout itself did not move.
      expect(await bed.git(preprod, 'rev-parse', 'HEAD')).to.not.equal(bumped);
    });

    it('falls back to the production branch on an unmanaged branch, through the top-level API', async () => {
      await setUp();
      const node = await bed.cloneNode('gh', { remoteUrl: GITHUB_CLONE_URL });
      await bed.git(node, 'checkout', '--quiet', '-b', 'my-feature');
      const tracked = await trackedVersion(node, { remote: CONFIGURED_URL });
      expect(tracked).to.include({ branch: 'master', remote: 'origin', version: '1.0.0' });
    });

    it('fails with one sentence when no remote matches', async () => {
      await setUp();
      const node = await bed.cloneNode();
      const error = await rejection(
        openRepository(node).trackedVersion(settings('https://github.com/someone/else')),
        'git-failed',
      );
      expect(error.message).to.match(/^No remote of .* fetches from https:\/\/github\.com\/someone\/else\.$/);
    });
  });

  describe('gitEnvironment', () => {
    it('drops repository-location and simple-git-blocked variables, and disables prompts', () => {
      const env = gitEnvironment({
        PATH: '/usr/bin',
        HOME: '/home/flux',
        HTTPS_PROXY: 'http://proxy:3128',
        GIT_DIR: '/elsewhere/.git',
        GIT_WORK_TREE: '/elsewhere',
        GIT_INDEX_FILE: '/elsewhere/index',
        EDITOR: 'vi',
        PAGER: 'less',
        GIT_SSH_COMMAND: 'ssh -i key',
        GIT_ASKPASS: '/bin/askpass',
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'core.pager',
        GIT_CONFIG_VALUE_0: 'evil',
        GIT_CONFIG_PARAMETERS: "'core.pager'='evil'",
        GIT_TERMINAL_PROMPT: '1',
      });
      expect(env).to.deep.equal({
        PATH: '/usr/bin',
        HOME: '/home/flux',
        HTTPS_PROXY: 'http://proxy:3128',
        GIT_TERMINAL_PROMPT: '0',
      });
    });
  });
});
