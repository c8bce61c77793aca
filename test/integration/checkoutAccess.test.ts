import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { openRepository } from '../../src/checkout/repository';
import { createGitBed, type GitBed } from '../support/gitBed';

/** The uid/gid the permission tests use: root ignores permissions, so another owner is needed. */
const NOBODY = 65534;

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${command}: ${stderr}`));
      else resolve();
    });
  });
}

/** Paths under `dir` whose owner is not `uid`. */
function notOwnedBy(uid: number, dir: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('find', [dir, '-not', '-uid', String(uid)], (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout.split('\n').filter((line) => line !== ''));
    });
  });
}

/** head() of the checkout at `node`, run by uid 65534 with HOME=`home`: the head, or the error's kind and message. */
function headAsNobody(node: string, home: string): Promise<Record<string, unknown> & { message: string }> {
  const repository = path.resolve(__dirname, '../../src/checkout/repository.js');
  const script = [
    `require(${JSON.stringify(repository)}).openRepository(${JSON.stringify(node)}).head().then(`,
    '  (head) => console.log(JSON.stringify(head)),',
    '  (error) => console.log(JSON.stringify({ kind: error.kind, message: error.message })),',
    ');',
  ].join('\n');
  const args = ['--reuid', `${NOBODY}`, '--regid', `${NOBODY}`, '--clear-groups', process.execPath, '-e', script];
  return new Promise((resolve, reject) => {
    execFile('setpriv', args, { env: { PATH: process.env.PATH, HOME: home } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}: ${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown> & { message: string });
    });
  });
}

describe('Checkout access and logging (real git)', () => {
  let bed: GitBed;

  beforeEach(async () => {
    bed = await createGitBed();
  });
  afterEach(async () => {
    await bed.cleanup();
  });

  it("FluxOS run by a user who does not own the checkout: repo-unreadable, git's words and the fix", async function () {
    if (process.getuid?.() !== 0) this.skip(); // switching to another user needs root (CI runs as root)
    const node = await bed.cloneNode();
    await fs.chmod(bed.dir, 0o755); // let uid 65534 reach the root-owned checkout
    const home = path.join(bed.dir, 'home');
    await fs.mkdir(home, { mode: 0o755 });

    const refused = await headAsNobody(node, home);
    expect(refused).to.have.property('kind', 'repo-unreadable');
    expect(refused.message).to.include('detected dubious ownership');
    expect(refused.message).to.include(`git config --global --add safe.directory ${node}`);
    expect(refused.message.split('\n')).to.have.length(1);

    // The fix it names works.
    await fs.writeFile(path.join(home, '.gitconfig'), `[safe]\n\tdirectory = ${node}\n`, { mode: 0o644 });
    expect(await headAsNobody(node, home)).to.deep.include({ branch: 'master', commit: await bed.masterTip() });
  });

  it('as root on a checkout of another user: git runs as its owner, nothing root-owned in .git', async function () {
    if (process.getuid?.() !== 0) this.skip(); // handing the checkout to another owner needs root (CI runs as root)
    const node = await bed.cloneNode();
    await fs.writeFile(path.join(node, 'README.md'), 'an operator edit\n');
    await fs.mkdir(path.join(node, 'ZelBack', 'src'), { recursive: true });
    await fs.writeFile(path.join(node, 'ZelBack', 'src', 'feature1.js'), 'in the way of preprod\n');
    await run('chown', ['-R', `${NOBODY}:${NOBODY}`, bed.dir]);

    const repo = openRepository(node);
    expect(repo.owner).to.deep.include({ uid: NOBODY, gid: NOBODY });
    expect((await repo.head()).branch).to.equal('master');
    await repo.fetch('origin', ['master', 'preprod'], 10_000);
    await repo.switchTo('preprod', 'origin');
    expect((await repo.head()).branch).to.equal('preprod');
    // What the switch saved is in the git dir too (a stash commit, a moved file, a manifest).
    expect(await fs.readdir(path.join(node, '.git', 'fluxos-preprod', 'backups'))).to.have.length(1);
    expect(await notOwnedBy(NOBODY, node)).to.deep.equal([]);
    // The owner's own git still works on it, and so does the next switch.
    await run('setpriv', [
      '--reuid',
      `${NOBODY}`,
      '--regid',
      `${NOBODY}`,
      '--clear-groups',
      'git',
      '-C',
      node,
      'gc',
      '--quiet',
    ]);
    await repo.completeSwitch();
    await repo.switchTo('master', 'origin');
    expect(await notOwnedBy(NOBODY, node)).to.deep.equal([]);
  });

  it('sends its own lines (a stale lock removed, a branch missing upstream) to the logger it is given', async () => {
    await bed.deleteBranch('preprod');
    const node = await bed.cloneNode();
    await fs.writeFile(path.join(node, '.git', 'index.lock'), '');
    const lines: string[] = [];
    const push = (m: string): void => void lines.push(m);
    const repo = openRepository(node, { logger: { info: push, warn: push, error: push, debug: () => undefined } });
    await repo.fetch('origin', ['master', 'preprod'], 10_000);
    await repo.switchTo('master', 'origin');
    expect(lines).to.include('git: origin has no branch preprod.');
    const removed = lines.some((l) => /^git: Removed .*index\.lock, left by a git process that died/.test(l));
    expect(removed, lines.join('\n')).to.equal(true);
  });
});
