/**
 * The install runs as the checkout's owner, like git (docs/design.md §4). FluxOS runs as root here (CI runs
 * as root), the checkout belongs to uid 65534, and a switch changes the dependencies: the real `npm install`
 * the package runs (a `file:` dependency, so no registry is needed) writes node_modules/ and the lock file,
 * and none of what it or the boot leaves behind is root's.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createTestService } from '../../src/testing';
import { startDetachedInstall } from '../../src/restart/install';
import { FileStateStore } from '../../src/state';
import { createGitBed, type GitBed } from '../support/gitBed';

const NOBODY = 65534;

/** Paths under `dir` whose owner is not `uid`. */
function notOwnedBy(uid: number, dir: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('find', [dir, '-not', '-uid', String(uid)], (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout.split('\n').filter((line) => line !== ''));
    });
  });
}

function chownTree(dir: string, uid: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('chown', ['-R', `${uid}:${uid}`, dir], (error, _stdout, stderr) => {
      if (error) reject(new Error(`chown: ${stderr}`));
      else resolve();
    });
  });
}

describe('the dependency install as the checkout owner (root FluxOS, real npm, real git)', function () {
  this.timeout(120_000);
  let bed: GitBed;
  let owned: string;
  let detached: string;

  before(async function () {
    const dependency = { dependencies: { 'local-dep': 'file:./vendor/local-dep' } };
    bed = await createGitBed({ packageJson: { preprod: dependency } });
    await bed.commitTo(
      'preprod',
      {
        'vendor/local-dep/package.json': `${JSON.stringify({ name: 'local-dep', version: '1.0.0' })}\n`,
        'vendor/local-dep/index.js': 'module.exports = 42;\n',
      },
      'a local dependency',
    );
    owned = await bed.cloneNode('owned');
    detached = await bed.cloneNode('detached', { branch: 'preprod' });
    if (process.getuid?.() !== 0) return;
    await fs.chmod(bed.dir, 0o755); // let uid 65534 reach its checkouts
    await chownTree(owned, NOBODY);
    await chownTree(detached, NOBODY);
    await chownTree(bed.upstream, NOBODY); // git as the owner fetches from it, and refuses another user's repository
  });
  after(async function () {
    await bed?.cleanup();
  });

  it("a dependency-changing switch leaves nothing root-owned in the owner's checkout", async function () {
    if (process.getuid?.() !== 0) this.skip(); // handing the checkout to another owner needs root (CI runs as root)
    const node = owned;
    const lines: string[] = [];
    const push = (m: string) => lines.push(m);
    const service = createTestService({
      repoDir: node,
      store: new FileStateStore(path.join(bed.dir, 'owned.state.json')),
      settings: {
        preProd: {
          probability: 0.07,
          remote: bed.upstream,
          restart: 'none',
          installCommand: ['npm', 'install', '--omit=dev', '--offline', '--no-audit', '--no-fund'],
        },
      },
      logger: { error: push, warn: push, info: push, debug: push },
      armHealthyTimer: false,
      random: () => 0.03,
    });
    const result = await service.runAtBoot();
    expect(result.branch, lines.join('\n')).to.include({ switched: true, after: 'preprod' });
    expect(lines.join('\n')).to.match(/dependencies installed/);

    const installed = await fs.lstat(path.join(node, 'node_modules/local-dep'));
    expect(installed.uid, 'node_modules/local-dep').to.equal(NOBODY);
    expect(await notOwnedBy(NOBODY, node)).to.deep.equal([]);
  });

  it('the detached install (nodemon) runs as the owner too: its log, marker and node_modules', async function () {
    if (process.getuid?.() !== 0) this.skip(); // handing the checkout to another owner needs root (CI runs as root)
    const node = detached;
    const logFile = path.join(node, '.git', 'fluxos-preprod-install.log');
    startDetachedInstall({
      dir: node,
      argv: ['npm', 'install', '--omit=dev', '--offline', '--no-audit', '--no-fund'],
      timeoutMs: 60_000,
      touchFile: path.join(node, 'package.json'),
      logFile,
      restartMarker: path.join(node, '.git', 'fluxos-preprod-restart.json'),
    });
    // The runner touches package.json last, after its log line and the marker.
    const before = (await fs.stat(path.join(node, 'package.json'))).mtimeMs;
    for (let i = 0; i < 600; i += 1) {
      const now = (await fs.stat(path.join(node, 'package.json'))).mtimeMs;
      if (now !== before) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await fs.readFile(logFile, 'utf8')).to.match(/install finished/);
    expect((await fs.lstat(path.join(node, 'node_modules/local-dep'))).uid).to.equal(NOBODY);
    expect(await notOwnedBy(NOBODY, node)).to.deep.equal([]);
  });
});
