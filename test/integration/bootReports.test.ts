/**
 * Reports that say what really happened (docs/design.md §4, §5, §8), on real
 * git: a switch that fails, a deadline reached during the checkout, a
 * directory git refuses, the git adapter's own lines, and an opt-out that
 * cannot be read.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MongoClient } from 'mongodb';
import { openRepository } from '../../src/checkout/repository';
import { FileStateStore, MongoStateStore, type StateStore } from '../../src/state';
import { OPT_OUT_KEY } from '../../src/types';
import { loggedService, runCliWithReadOnlyDir } from '../support/bootBed';
import { describeRun, runCli, writeSettingsFile } from '../support/cli';
import { createGitBed, type GitBed } from '../support/gitBed';
import { requireMongo, uniqueDbName } from '../support/mongoServer';
import { makeTempDir } from '../support/tmp';

describe('boot reports what really happened', function () {
  let bed: GitBed;
  let tmp: { dir: string; remove: () => void };
  let n = 0;
  before(async function () {
    bed = await createGitBed({ extraFiles: 64 });
    // preprod rewrites lib/: a read-only lib/ stops the checkout half-way.
    const files: Record<string, string> = {};
    for (let i = 0; i < 64; i += 1) files[`lib/dir${i % 32}/file${i}.js`] = `module.exports = ${i} + 1; // preprod\n`;
    await bed.commitTo('preprod', files, 'Preprod rewrites lib/');
    tmp = makeTempDir('fluxos-preprod-reports-');
  });
  after(async function () {
    await bed?.cleanup();
    tmp?.remove();
  });
  const head = async (dir: string) => ({
    branch: await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'),
    commit: await bed.git(dir, 'rev-parse', 'HEAD'),
  });
  const settingsFile = (preProd: Record<string, unknown>) =>
    writeSettingsFile(tmp.dir, `settings-${++n}.json`, { remote: bed.upstream, ...preProd });
  const storeUrl = () => `file:${path.join(tmp.dir, `state-${++n}.json`)}`;

  describe('a switch that does not complete', function () {
    it('fails part-way (read-only dir): switch-failed, mode from HEAD, exit 1; next boot finishes', async function () {
      const dir = await bed.cloneNode();
      const args = [
        'boot',
        '--repo',
        dir,
        '--store',
        storeUrl(),
        '--config',
        await settingsFile({ probability: 1 }),
        '--json',
      ];
      const run = await runCliWithReadOnlyDir(path.join(dir, 'lib'), args);
      expect(run.code, describeRun(run)).to.equal(1);
      const result = JSON.parse(run.stdout) as {
        reason: string;
        mode: string;
        branch: { after: string };
        commit: string;
      };
      const now = await head(dir);
      expect(result.reason, describeRun(run)).to.equal('switch-failed');
      expect(result.branch.after).to.equal(now.branch);
      expect(result.commit).to.equal(now.commit);
      expect(result.mode).to.equal(now.branch === 'preprod' ? 'preprod' : 'production');
      const next = await runCli(args);
      expect(next.code, describeRun(next)).to.equal(0);
      expect(JSON.parse(next.stdout)).to.deep.include({ reason: 'selected', mode: 'preprod' });
      expect(await head(dir)).to.deep.equal({ branch: 'preprod', commit: await bed.preprodTip() });
      expect(await bed.git(dir, 'status', '--porcelain')).to.equal('');
    });

    it('fails before HEAD moved (a live git holds index.lock): switch-failed, exit 1', async function () {
      const dir = await bed.cloneNode();
      const args = [
        'boot',
        '--repo',
        dir,
        '--store',
        storeUrl(),
        '--config',
        await settingsFile({ probability: 1 }),
        '--json',
      ];
      // A git that works in the checkout and holds index.lock, as an operator's `git status` might.
      const live = spawn('git', ['cat-file', '--batch'], { cwd: dir, stdio: ['pipe', 'ignore', 'ignore'] });
      await fs.writeFile(path.join(dir, '.git', 'index.lock'), '');
      try {
        const run = await runCli(args);
        expect(run.code, describeRun(run)).to.equal(1);
        expect(JSON.parse(run.stdout)).to.deep.include({
          reason: 'switch-failed',
          mode: 'production',
          preProdNode: false,
        });
        expect((await head(dir)).branch).to.equal('master');
      } finally {
        live.kill('SIGKILL');
        await new Promise((resolve) => live.once('exit', resolve));
      }
      const next = await runCli(args);
      expect(next.code, describeRun(next)).to.equal(0);
      expect(JSON.parse(next.stdout)).to.deep.include({ reason: 'selected', mode: 'preprod' });
    });
  });

  it('deadline during the checkout: the boot waits for it and reports the switch, /flux/info too', async function () {
    const dir = await bed.cloneNode();
    const repository = openRepository(dir);
    const realSwitch = repository.switchTo.bind(repository);
    const lines: string[] = [];
    let deadlinePassed: () => void = () => undefined;
    const passed = new Promise<void>((resolve) => (deadlinePassed = resolve));
    // The checkout begins, then takes longer than the boot deadline (a slow disk).
    repository.switchTo = async (branch, remote) => {
      await passed;
      return realSwitch(branch, remote);
    };
    const logger = {
      error: (m: string) => lines.push(`error ${m}`),
      warn: (m: string) => {
        lines.push(`warn ${m}`);
        if (m.includes('deadline')) deadlinePassed();
      },
      info: (m: string) => lines.push(`info ${m}`),
      debug: () => undefined,
    };
    const { svc } = loggedService(
      dir,
      new FileStateStore(path.join(tmp.dir, `state-${++n}.json`)),
      { remote: bed.upstream, probability: 1, bootDeadlineMs: 3000 },
      { repository, logger },
    );
    const result = await svc.runAtBoot();
    expect(
      lines.some((l) => l.startsWith('warn') && l.includes('deadline')),
      lines.join('\n'),
    ).to.equal(true);
    expect(result).to.deep.include({
      reason: 'selected',
      mode: 'preprod',
      branch: { before: 'master', after: 'preprod', switched: true },
    });
    expect(svc.fluxInfo()).to.deep.include({ preProdNode: true });
    expect((await head(dir)).branch).to.equal('preprod');
  });

  it('a checkout git refuses ("dubious ownership"): repo-unreadable with git\'s words and the fix', async function () {
    // FluxOS running as another user than the checkout's owner. (Run as root, the adapter runs git as the
    // owner instead, so that path is opted out of here to meet git's refusal.)
    const dir = await bed.cloneNode();
    await fs.chown(dir, 65534, 65534);
    const { svc, lines } = loggedService(
      dir,
      new FileStateStore(path.join(tmp.dir, `state-${++n}.json`)),
      {
        remote: bed.upstream,
        probability: 1,
      },
      { repository: openRepository(dir, { runAsOwner: false }) },
    );
    const result = await svc.runAtBoot();
    expect(result.reason).to.equal('repo-unreadable');
    expect(result.message)
      .to.match(/dubious ownership/)
      .and.to.include('safe.directory');
    expect(lines.join('\n')).to.match(/error .*repo-unreadable/);
    await fs.chown(dir, 0, 0); // back to the test's own user, so git answers it again
    expect((await head(dir)).branch).to.equal('master');
  });

  it("the git adapter's own lines reach the logger (a stale index.lock removed)", async function () {
    const dir = await bed.cloneNode();
    await fs.writeFile(path.join(dir, '.git', 'index.lock'), '');
    const { svc, lines } = loggedService(dir, new FileStateStore(path.join(tmp.dir, `state-${++n}.json`)), {
      remote: bed.upstream,
      probability: 1,
    });
    const result = await svc.runAtBoot();
    expect(result.reason).to.equal('selected');
    expect(
      lines.some((l) => /Removed .*index\.lock/.test(l)),
      lines.join('\n'),
    ).to.equal(true);
  });

  describe('an opt-out that cannot be read counts for that boot only', function () {
    const stores: {
      name: string;
      open: (ctx: Mocha.Context) => Promise<{ store: StateStore; close: () => Promise<void> }>;
    }[] = [
      {
        name: 'file',
        open: async () => ({
          store: new FileStateStore(path.join(tmp.dir, `state-${++n}.json`)),
          close: async () => undefined,
        }),
      },
      {
        name: 'mongodb',
        open: async (ctx) => {
          const server = await requireMongo(ctx);
          const client = await new MongoClient(server.url).connect();
          const name = uniqueDbName('optout');
          return {
            store: new MongoStateStore(client.db(name)),
            close: async () => {
              await client.db(name).dropDatabase();
              await client.close();
            },
          };
        },
      },
    ];
    for (const s of stores) {
      it(`${s.name} store: production that boot, nothing remembered, selected again`, async function () {
        const { store, close } = await s.open(this);
        try {
          const dir = await bed.cloneNode(undefined, { branch: 'preprod', userconfig: { disablePreProd: 'maybe' } });
          const first = await loggedService(dir, store, { remote: bed.upstream, probability: 1 }).svc.runAtBoot();
          expect(first).to.include({ reason: 'disabled', optedOut: true, mode: 'production' });
          expect(await store.get(OPT_OUT_KEY), 'the opt-out must not be remembered').to.equal(null);
          expect(first.message).to.include('this boot only');
          await bed.writeUserconfig(dir, { ipaddress: '127.0.0.2' });
          const second = await loggedService(dir, store, { remote: bed.upstream, probability: 1 }).svc.runAtBoot();
          expect(second).to.include({ reason: 'selected', optedOut: false, mode: 'preprod' });
        } finally {
          await close();
        }
      });
    }
  });
});
