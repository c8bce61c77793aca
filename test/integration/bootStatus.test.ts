/**
 * `status` says what `boot` would do, reason included, and never writes or
 * deletes anything (docs/design.md §8): run on real checkouts through the CLI,
 * each status is followed by a boot of the same node and compared with it.
 */
import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describeRun, runCli, writeSettingsFile, type CliResult } from '../support/cli';
import { createGitBed, type GitBed } from '../support/gitBed';
import { makeTempDir } from '../support/tmp';

interface Json {
  reason: string;
  mode: string;
  branch: { before: string | null; after: string | null; switched: boolean };
  cohort: { draw: number | null } | null;
  pending?: string;
}

describe('status predicts boot, on real checkouts', function () {
  let bed: GitBed;
  let tmp: { dir: string; remove: () => void };
  let n = 0;
  before(async function () {
    bed = await createGitBed();
    tmp = makeTempDir('fluxos-preprod-status-');
  });
  after(async function () {
    await bed?.cleanup();
    tmp?.remove();
  });

  const json = (run: CliResult): Json => {
    expect(run.stdout, describeRun(run)).to.match(/^\{/);
    return JSON.parse(run.stdout) as Json;
  };
  async function statusAndBoot(
    dir: string,
    preProd: Record<string, unknown>,
    store = `file:${path.join(tmp.dir, `state-${++n}.json`)}`,
  ) {
    const config = await writeSettingsFile(tmp.dir, `settings-${++n}.json`, { remote: bed.upstream, ...preProd });
    const args = ['--repo', dir, '--store', store, '--config', config, '--json'];
    const status = await runCli(['status', ...args]);
    const boot = await runCli(['boot', ...args]);
    return { status, boot, statusJson: json(status), bootJson: json(boot) };
  }

  const same: { name: string; setup: () => Promise<{ dir: string; preProd: Record<string, unknown> }> }[] = [
    {
      name: 'a custom branch',
      setup: async () => {
        const dir = await bed.cloneNode();
        await bed.git(dir, 'checkout', '-q', '-b', 'my-feature');
        return { dir, preProd: { probability: 1 } };
      },
    },
    {
      name: 'a remote that is not the configured one',
      setup: async () => ({
        dir: await bed.cloneNode(),
        preProd: { probability: 1, remote: 'https://github.com/someone-else/flux.git' },
      }),
    },
    {
      name: 'a directory that is not a checkout',
      setup: async () => {
        const dir = path.join(tmp.dir, `plain-${++n}`);
        await fs.mkdir(dir);
        return { dir, preProd: { probability: 1 } };
      },
    },
  ];
  for (const c of same) {
    it(`${c.name}: the same reason, branch and exit code as boot`, async function () {
      const { dir, preProd } = await c.setup();
      const { status, boot, statusJson, bootJson } = await statusAndBoot(dir, preProd);
      expect(statusJson.reason).to.equal(bootJson.reason);
      expect(statusJson.branch.after).to.equal(bootJson.branch.after);
      expect(statusJson).not.to.have.property('pending');
      expect(status.code, describeRun(status)).to.equal(boot.code);
    });
  }

  it('no valid draw stored: cohort.draw is null and the draw is pending', async function () {
    const dir = await bed.cloneNode();
    const { statusJson } = await statusAndBoot(dir, { probability: 0.5 });
    expect(statusJson.cohort?.draw).to.equal(null);
    expect(statusJson).to.include({ pending: 'draw', reason: 'not-selected' });
    expect(statusJson.branch).to.deep.equal({ before: 'master', after: 'master', switched: false });
  });

  it("never deletes a dead writer's lock of the state file", async function () {
    const dir = await bed.cloneNode();
    const file = path.join(tmp.dir, `state-${++n}.json`);
    await fs.writeFile(file, '{}');
    const lock = `${file}.lock`;
    await fs.writeFile(lock, '999999'); // a pid that runs nothing
    const old = new Date(Date.now() - 3_600_000);
    await fs.utimes(lock, old, old);
    const config = await writeSettingsFile(tmp.dir, `settings-${++n}.json`, { remote: bed.upstream, probability: 1 });
    const status = await runCli(['status', '--repo', dir, '--store', `file:${file}`, '--config', config, '--json']);
    expect(status.code, describeRun(status)).to.equal(0);
    expect(await fs.readFile(lock, 'utf8').catch(() => 'deleted'), 'the lock file').to.equal('999999');
  });
});
