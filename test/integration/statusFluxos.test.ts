/**
 * `status` on a FluxOS node reads FluxOS's own `preProd` block from
 * `ZelBack/config/default.js` (parsed, never run), the way FluxOS passes it to
 * the package in-process, and agrees with the `boot` that follows
 * (docs/design.md §8). The package's default probability is 0.07; FluxOS's
 * block says 1, and the stored draw (0.5) is selected only at FluxOS's.
 */
import { expect } from 'chai';
import * as path from 'node:path';
import { FileStateStore } from '../../src/state';
import { COHORT_KEY } from '../../src/types';
import { describeRun, runCli } from '../support/cli';
import { fluxosDefaultJs } from '../support/fluxosConfigJs';
import { createGitBed, type GitBed } from '../support/gitBed';

const UPSTREAM_URL = 'https://github.com/RunOnFlux/flux.git';
const BLOCK = `  preProd: {
    probability: 1,
    remote: '${UPSTREAM_URL}',
    branch: 'preprod',
    productionBranch: 'master',
    daysToNextEval: 30,
  },`;

describe('status on a FluxOS-shaped checkout with a JS preProd block', function () {
  this.timeout(120_000);
  let bed: GitBed;
  before(async () => {
    bed = await createGitBed();
    // The block is on master and on preprod alike (the recipe says: keep it the same on both).
    await bed.commitTo('master', { 'ZelBack/config/default.js': fluxosDefaultJs(BLOCK) }, 'FluxOS config with preProd');
    await bed.git(bed.upstream, 'update-ref', 'refs/heads/preprod', await bed.masterTip());
    await bed.commitTo('preprod', { 'ZelBack/src/release.js': 'module.exports = 2;\n' }, 'Release on preprod');
  });
  after(async () => bed?.cleanup());

  it("uses FluxOS's probability, and boot does what status said", async function () {
    const dir = await bed.cloneNode('node', { remoteUrl: UPSTREAM_URL });
    const storeFile = path.join(bed.dir, 'state.json');
    const rolledAt = new Date(Date.now() - 86_400_000);
    const record = { key: COHORT_KEY, value: false, draw: 0.5, probability: 0.07, rolledAt, updatedAt: rolledAt };
    await new FileStateStore(storeFile).set(COHORT_KEY, record);
    const args = (command: string) => [command, '--repo', dir, '--store', `file:${storeFile}`, '--json'];

    const statusRun = await runCli(args('status'));
    const status = JSON.parse(statusRun.stdout);
    expect(status, describeRun(statusRun)).to.deep.include({ reason: 'selected', pending: 'fetch' });
    expect(status.cohort, describeRun(statusRun)).to.include({ draw: 0.5, probability: 1 });
    expect(status.branch).to.deep.equal({ before: 'master', after: 'preprod', switched: false });

    const bootRun = await runCli(args('boot'));
    const boot = JSON.parse(bootRun.stdout);
    expect(boot, describeRun(bootRun)).to.deep.include({ reason: status.reason, mode: 'preprod' });
    expect(boot.branch).to.deep.equal({ before: 'master', after: status.branch.after, switched: true });

    const again = JSON.parse((await runCli(args('status'))).stdout);
    expect(again).to.deep.include({ mode: 'preprod', reason: 'selected' });
    expect(again).not.to.have.property('pending');
  });

  it('a block computed by code: one sentence, exit 2, nothing moves', async function () {
    const dir = await bed.cloneNode('computed', { remoteUrl: UPSTREAM_URL });
    const { promises: fs } = await import('node:fs');
    const computed = fluxosDefaultJs('  preProd: { probability: Number(process.env.SHARE) },');
    await fs.writeFile(path.join(dir, 'ZelBack', 'config', 'default.js'), computed);
    const run = await runCli(['status', '--repo', dir, '--store', `file:${path.join(bed.dir, 'c.json')}`]);
    expect(run.code, describeRun(run)).to.equal(2);
    expect(run.stderr.trim().split('\n'), describeRun(run)).to.have.length(1);
    expect(run.stderr).to.match(/Cannot read the preProd block of .*default\.js: it holds a function call/);
    expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
  });
});
