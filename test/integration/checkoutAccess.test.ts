import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { openRepository } from '../../src/checkout/repository';
import { PreprodError } from '../../src/errors';
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

/** Runs `body` with HOME pointing at an empty folder, so no global git config (safe.directory=*) applies. */
async function withHome<T>(home: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env.HOME;
  process.env.HOME = home;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.HOME;
    else process.env.HOME = saved;
  }
}

describe('Checkout access and logging (real git)', () => {
  let bed: GitBed;

  beforeEach(async () => {
    bed = await createGitBed();
  });
  afterEach(async () => {
    await bed.cleanup();
  });

  it('a checkout owned by another user: repo-unreadable, git\'s words and the safe.directory fix', async function () {
    if (process.getuid?.() !== 0) this.skip(); // handing the checkout to another owner needs root (CI runs as root)
    const node = await bed.cloneNode();
    await run('chown', ['-R', `${NOBODY}:${NOBODY}`, node]);
    const home = path.join(bed.dir, 'home');
    await fs.mkdir(home);

    const error = await withHome(home, () => openRepository(node).head().then(() => null, (e: unknown) => e));
    expect(error).to.be.instanceOf(PreprodError);
    const refused = error as PreprodError;
    expect(refused.kind).to.equal('repo-unreadable');
    expect(refused.exitCode).to.equal(1);
    expect(refused.message).to.include('detected dubious ownership');
    expect(refused.message).to.include(`git config --global --add safe.directory ${node}`);
    expect(refused.message.split('\n')).to.have.length(1);

    // The fix it names works.
    await fs.writeFile(path.join(home, '.gitconfig'), `[safe]\n\tdirectory = ${node}\n`);
    const head = await withHome(home, () => openRepository(node).head());
    expect(head).to.include({ branch: 'master', commit: await bed.masterTip() });
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
