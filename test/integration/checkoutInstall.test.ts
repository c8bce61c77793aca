import { expect } from 'chai';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createTestService } from '../../src/testing';
import { FileStateStore } from '../../src/state';
import { createGitBed, type GitBed } from '../support/gitBed';

/**
 * The install runs only when the dependencies change (docs/design.md §4):
 * FluxOS git-ignores package-lock.json and bumps `version` on every release,
 * so a version-only switch must install nothing, and a dependency change
 * must install exactly once.
 */
describe('Install only when dependencies change (real git, real boot)', () => {
  let bed: GitBed;

  beforeEach(async () => {
    bed = await createGitBed();
    // As in FluxOS: no tracked lockfile, and the release on preprod differs from master by its version only.
    await bed.commitTo('master', { 'package-lock.json': null }, 'lockfile is ignored');
    const master = JSON.parse(await bed.git(bed.upstream, 'show', 'master:package.json')) as { version: string };
    await bed.deleteBranch('preprod');
    const release = `${JSON.stringify({ ...master, version: '1.1.0' }, null, 2)}\n`;
    await bed.commitTo(
      'preprod',
      { 'package.json': release, 'app.js': "console.log('flux preprod');\n" },
      'release 1.1.0',
    );
  });
  afterEach(async () => {
    await bed.cleanup();
  });

  async function boot(node: string, counter: string, probability: number) {
    const store = new FileStateStore(path.join(bed.dir, 'state.json'));
    const append = `require('fs').appendFileSync(${JSON.stringify(counter)}, 'installed\\n')`;
    const service = createTestService({
      repoDir: node,
      store,
      settings: {
        preProd: {
          remote: bed.upstream,
          restart: 'none',
          probability,
          installCommand: [process.execPath, '-e', append],
        },
      },
      armHealthyTimer: false,
      random: () => 0.03,
    });
    try {
      return await service.runAtBoot();
    } finally {
      await store.close();
    }
  }

  const installs = async (counter: string): Promise<number> =>
    (await fs.readFile(counter, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '').length;

  it('a version-only switch installs nothing; a dependency change installs once', async () => {
    const node = await bed.cloneNode();
    const counter = path.join(bed.dir, 'installs.log');

    const toPreprod = await boot(node, counter, 0.07);
    expect(toPreprod.branch).to.deep.equal({ before: 'master', after: 'preprod', switched: true });
    const versions = await bed.git(node, 'diff', 'origin/master', 'origin/preprod', '--', 'package.json');
    expect(versions)
      .to.match(/^-\s+"version": "1\.0\.0",$/m)
      .and.match(/^\+\s+"version": "1\.1\.0",$/m);
    expect(await installs(counter), 'installs after a version-only switch').to.equal(0);

    // A release on master adds a dependency; the kill switch takes the node back to master.
    const withDependency = { name: 'zelflux', version: '1.2.0', dependencies: { 'left-pad': '1.3.0' } };
    await bed.commitTo(
      'master',
      { 'package.json': `${JSON.stringify(withDependency, null, 2)}\n` },
      'add a dependency',
    );
    const back = await boot(node, counter, 0);
    expect(back.branch).to.deep.equal({ before: 'preprod', after: 'master', switched: true });
    expect(await installs(counter), 'installs after a switch that changes dependencies').to.equal(1);

    // Nothing to switch, nothing to install.
    const again = await boot(node, counter, 0);
    expect(again.branch.switched).to.equal(false);
    expect(await installs(counter)).to.equal(1);
  });
});
