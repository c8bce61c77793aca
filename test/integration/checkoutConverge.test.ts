import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { planSwitch } from '../../src/checkout/plan';
import { openRepository } from '../../src/checkout/repository';
import { createTestService } from '../../src/testing';
import { FileStateStore } from '../../src/state';
import { bedEnv, createGitBed, type GitBed } from '../support/gitBed';

const CONFIGURED = 'https://github.com/RunOnFlux/flux.git';
const SETTINGS = { branch: 'preprod', productionBranch: 'master', remote: CONFIGURED };

describe('Checkout converges and leaves forks alone (real git)', () => {
  let bed: GitBed;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    bed = await createGitBed();
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await bed.cleanup();
  });

  it('waits for a git left running by a killed boot, then switches (the next boot converges)', async () => {
    const node = await bed.cloneNode();
    const events: string[] = [];
    let git: ChildProcess | null = null;
    const logger = {
      info: (m: string) => {
        if (!m.includes('Waiting up to') || git === null) return;
        events.push('waiting');
        // The orphaned git finishes while the switch waits.
        git.once('exit', () => events.push('git ended'));
        git.stdin?.end();
      },
      warn: () => undefined,
      error: () => undefined,
      debug: () => undefined,
    };
    const repo = openRepository(node, { logger });
    await repo.fetch('origin', ['master', 'preprod'], 10_000);
    git = spawn('git', ['cat-file', '--batch'], { cwd: node, env: bedEnv(), stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(git);
    await new Promise((resolve) => git?.once('spawn', resolve));
    // What it held: a killed boot's checkout leaves index.lock behind.
    await fs.writeFile(path.join(node, '.git', 'index.lock'), '');

    // The wait is bounded by the caller; this one is long only to catch a hang.
    await repo.switchTo('preprod', 'origin', { waitForGitMs: 60_000 });
    events.push('switched');
    expect(events).to.deep.equal(['waiting', 'git ended', 'switched']);
    expect((await repo.head()).branch).to.equal('preprod');
  });

  it('reads the remote the branch tracks from the config file, in the one git process of head()', async () => {
    const node = await bed.cloneNode('gh', { remoteUrl: 'https://github.com/runonflux/flux' });
    const spawned: Array<readonly string[]> = [];
    const head = await openRepository(node, { onGitSpawn: (args) => spawned.push(args) }).head();
    expect(spawned).to.have.length(1);
    expect(head.upstream).to.deep.equal({ remote: 'origin', url: 'https://github.com/runonflux/flux' });
    expect(
      planSwitch({ current: head, targetBranch: 'preprod', settings: SETTINGS, remoteName: 'origin' }),
    ).to.deep.equal({ action: 'switch', from: 'master', to: 'preprod', remote: 'origin' });
  });

  it("leaves alone a managed branch name that tracks an operator's fork: unmanaged-branch, not reset", async () => {
    const node = await bed.cloneNode('fork', { remoteUrl: 'https://github.com/RunOnFlux/flux' });
    await bed.git(node, 'remote', 'add', 'myfork', 'git@github.com:operator/flux.git');
    await bed.git(node, 'config', 'branch.master.remote', 'myfork');
    const repo = openRepository(node);
    const head = await repo.head();
    expect(head.upstream).to.deep.equal({ remote: 'myfork', url: 'git@github.com:operator/flux.git' });
    const remoteName = await repo.findRemote(CONFIGURED);
    expect(remoteName).to.equal('origin');
    const plan = planSwitch({ current: head, targetBranch: 'preprod', settings: SETTINGS, remoteName });
    expect(plan).to.deep.equal({ action: 'leave', reason: 'unmanaged-branch', branch: 'master' });
    const stay = planSwitch({ current: head, targetBranch: 'master', settings: SETTINGS, remoteName });
    expect(stay).to.deep.equal({ action: 'leave', reason: 'unmanaged-branch', branch: 'master' });
  });

  it(
    'a boot leaves a fork-tracking master where it is (unmanaged-branch), its branch and commit ' + 'untouched',
    async () => {
      const node = await bed.cloneNode('forkboot');
      await bed.git(node, 'remote', 'add', 'myfork', 'git@github.com:operator/flux.git');
      await bed.git(node, 'config', 'branch.master.remote', 'myfork');
      const before = await openRepository(node).head();
      const service = createTestService({
        repoDir: node,
        store: new FileStateStore(path.join(node, '..', 'forkboot-state.json')),
        settings: { preProd: { remote: bed.upstream, probability: 1, restart: 'none', installCommand: ['true'] } },
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined },
        armHealthyTimer: false,
      });
      const result = await service.runAtBoot();
      expect(result.reason).to.equal('unmanaged-branch');
      expect(result.branch).to.deep.equal({ before: 'master', after: 'master', switched: false });
      const after = await openRepository(node).head();
      expect(after.commit).to.equal(before.commit);
      expect(after.upstream?.remote).to.equal('myfork');
    },
  );

  it('finds the upstream cloned as https://www.github.com/RunOnFlux/flux', async () => {
    const node = await bed.cloneNode('www', { remoteUrl: 'https://www.github.com/RunOnFlux/flux' });
    expect(await openRepository(node).findRemote(CONFIGURED)).to.equal('origin');
  });

  it('never takes a remote whose URL sends git elsewhere, or over plain text', async () => {
    const node = await bed.cloneNode();
    await bed.git(node, 'remote', 'set-url', 'origin', 'https://evil#@github.com/RunOnFlux/flux');
    await bed.git(node, 'remote', 'add', 'plain', 'http://github.com/RunOnFlux/flux');
    await bed.git(node, 'remote', 'add', 'gitproto', 'git://github.com/RunOnFlux/flux');
    expect(await openRepository(node).findRemote(CONFIGURED)).to.equal(null);
  });
});
