/**
 * A withdrawn preprod never strands its nodes (docs/design.md §4), on real git
 * repositories: preprod force-pushed, or reset to master. Every preprod node
 * converges within one recheck (the recheck stores the finding and restarts
 * FluxOS; the next boot moves), none keeps a withdrawn commit, the node's own
 * commits are kept under a backup ref, and the watchdog's `git pull -p`
 * afterwards has nothing to reconcile. A boot after the watchdog's failed pull
 * (which fetched) converges by itself, from the local remote-tracking ref.
 */
import { expect } from 'chai';
import * as path from 'node:path';
import { readRefOnDisk } from '../../src/checkout/gitDir';
import { BACKUP_REF_ROOT } from '../../src/checkout/saveLocalWork';
import { FileStateStore } from '../../src/state';
import { loggedService } from '../support/bootBed';
import { createGitBed, type GitBed } from '../support/gitBed';
import { makeTempDir } from '../support/tmp';

const FAST = { firstMinMs: 20, firstMaxMs: 40, everyMs: 200 };

async function eventually(check: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Rewrites preprod: a new commit on master's tip, force-pushed over the old preprod. */
async function forcePush(bed: GitBed): Promise<string> {
  await bed.git(bed.upstream, 'update-ref', 'refs/heads/preprod', await bed.masterTip());
  return bed.commitTo('preprod', { 'ZelBack/src/rewritten.js': 'module.exports = "v2";\n' }, 'Release, rewritten');
}

/** The README's runbook: preprod reset to master. */
async function resetToMaster(bed: GitBed): Promise<string> {
  const master = await bed.masterTip();
  await bed.git(bed.upstream, 'update-ref', 'refs/heads/preprod', master);
  return master;
}

/** What the watchdog runs when the versions differ; resolves with git's output, or its error. */
async function watchdogPull(bed: GitBed, dir: string): Promise<string> {
  await bed.git(dir, 'checkout', '.');
  await bed.git(dir, 'fetch');
  return bed.git(dir, 'pull', '-p').catch((error: Error) => `FAILED ${error.message}`);
}

describe('a withdrawn preprod never strands its nodes, on real git', function () {
  let tmp: { dir: string; remove: () => void };
  before(() => (tmp = makeTempDir('fluxos-preprod-withdrawn-')));
  after(() => tmp?.remove());

  const rewrites = [
    { name: 'preprod force-pushed', rewrite: forcePush },
    { name: 'preprod reset to master', rewrite: resetToMaster },
  ];
  for (const { name, rewrite } of rewrites) {
    it(`${name}: every preprod node converges within one recheck and keeps no withdrawn commit`, async function () {
      const bed = await createGitBed();
      try {
        const preProd = { remote: bed.upstream, probability: 1 };
        const nodes = [];
        for (const n of [1, 2, 3]) {
          const dir = await bed.cloneNode(`node${n}`, { branch: 'preprod' });
          const store = new FileStateStore(path.join(tmp.dir, `${path.basename(bed.dir)}-${n}.json`));
          const exits: number[] = [];
          const running = loggedService(dir, store, preProd, {
            backgroundChecks: true,
            backgroundTimings: FAST,
            restart: 'exit',
            exit: (code) => exits.push(code),
          });
          expect(await running.svc.runAtBoot()).to.include({ mode: 'preprod', reason: 'selected' });
          nodes.push({ dir, store, exits, running });
        }
        const withdrawn = await bed.git(nodes[0].dir, 'rev-parse', 'HEAD');
        // Node 3's operator committed on preprod: their commit is theirs, and is kept.
        await bed.git(
          nodes[2].dir,
          '-c',
          'user.name=op',
          '-c',
          'user.email=op@x',
          'commit',
          '--allow-empty',
          '-m',
          'mine',
        );
        const own = await bed.git(nodes[2].dir, 'rev-parse', 'HEAD');
        const tip = await rewrite(bed);

        for (const node of nodes) {
          await eventually(() => node.exits.length > 0, 'the recheck restarting FluxOS');
          node.running.svc.stop();
          expect(await bed.git(node.dir, 'rev-parse', 'HEAD'), 'never moved under FluxOS').not.to.equal(tip);
          const next = await loggedService(node.dir, node.store, preProd).svc.runAtBoot();
          expect(next).to.deep.include({ mode: 'preprod', reason: 'selected' });
          expect(next.branch).to.deep.include({ after: 'preprod', switched: true });
          expect(await bed.git(node.dir, 'rev-parse', 'HEAD'), 'on the new tip').to.equal(tip);
          const contains = await bed.git(node.dir, 'branch', '--contains', withdrawn).catch(() => '');
          expect(contains, 'no branch keeps the withdrawn commit').to.equal('');
          expect(await watchdogPull(bed, node.dir)).not.to.match(/FAILED/);
          expect(await bed.git(node.dir, 'rev-parse', 'HEAD'), 'the pull changed nothing').to.equal(tip);
        }
        const backups = await bed.git(nodes[2].dir, 'for-each-ref', '--format=%(objectname)', `${BACKUP_REF_ROOT}/`);
        expect(backups.split('\n'), "the operator's commit is kept").to.include(own);
      } finally {
        await bed.cleanup();
      }
    });
  }

  it("after the watchdog's failed pull, the next boot converges by itself (the local ref says so)", async function () {
    const bed = await createGitBed();
    try {
      const dir = await bed.cloneNode('node', { branch: 'preprod' });
      const store = new FileStateStore(path.join(tmp.dir, 'after-pull.json'));
      const preProd = { remote: bed.upstream, probability: 1 };
      expect(await loggedService(dir, store, preProd).svc.runAtBoot()).to.include({ mode: 'preprod' });
      const tip = await forcePush(bed);
      expect(await watchdogPull(bed, dir), 'divergent: git cannot reconcile').to.match(/FAILED/);
      const status = await loggedService(dir, store, preProd).svc.status();
      expect(status.message, 'status predicts the move').to.include('the next boot moves preprod off');
      const next = await loggedService(dir, store, preProd).svc.runAtBoot();
      expect(next.branch).to.deep.include({ after: 'preprod', switched: true });
      expect(status).to.deep.include({ reason: next.reason, mode: 'preprod' });
      expect(status.branch.after).to.equal(next.branch.after);
      expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(tip);
      expect(await watchdogPull(bed, dir)).not.to.match(/FAILED/);
    } finally {
      await bed.cleanup();
    }
  });

  it('reads a remote-tracking ref from the files, loose or packed; null when they do not say', async function () {
    const bed = await createGitBed();
    try {
      const dir = await bed.cloneNode('refs', { branch: 'preprod' });
      const tip = await bed.preprodTip();
      expect(await readRefOnDisk(dir, 'refs/remotes/origin/preprod'), 'packed by the clone').to.equal(tip);
      await bed.git(dir, 'update-ref', 'refs/remotes/origin/preprod', await bed.masterTip());
      expect(await readRefOnDisk(dir, 'refs/remotes/origin/preprod'), 'loose wins').to.equal(await bed.masterTip());
      await bed.git(dir, 'pack-refs', '--all');
      expect(await readRefOnDisk(dir, 'refs/remotes/origin/preprod'), 'packed').to.equal(await bed.masterTip());
      expect(await readRefOnDisk(dir, 'refs/remotes/origin/nothing')).to.equal(null);
      expect(await readRefOnDisk(dir, 'refs/remotes/../../config')).to.equal(null);
      expect(await readRefOnDisk(tmp.dir, 'refs/remotes/origin/preprod'), 'not a checkout').to.equal(null);
    } finally {
      await bed.cleanup();
    }
  });
});
