/**
 * One install at a time (docs/design.md §4): an install found running in the checkout (left by a killed
 * boot) is waited for until its deadline and then stopped; a record that names a process working
 * elsewhere (a pid reused after a reboot) stops nothing. Real processes in their own groups.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { groupAlive } from '../../src/os/procfs';
import { readInstallRecord, settleRunningInstall, writeInstallRecord } from '../../src/restart/installRecord';
import { makeTempDir } from '../support/tmp';

describe('an install left running by a killed boot', function () {
  this.timeout(60_000);
  let repo: { dir: string; remove: () => void };
  const children: ChildProcess[] = [];
  beforeEach(function () {
    repo = makeTempDir('fluxos-preprod-install-record-');
    mkdirSync(path.join(repo.dir, '.git'));
  });
  afterEach(function () {
    for (const child of children.splice(0)) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ended already
      }
    }
    repo.remove();
  });

  /** A stand-in install: a process group of its own, working in `cwd`, ending after `ms`. */
  function install(cwd: string, ms: number): number {
    const child = spawn(process.execPath, ['-e', `setTimeout(() => undefined, ${ms})`], { cwd, detached: true });
    children.push(child);
    return child.pid as number;
  }
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);

  it('waits for one that ends before its deadline', async function () {
    const pid = install(repo.dir, 1500);
    writeInstallRecord(repo.dir, { pid, startedAt: new Date(), until: new Date(Date.now() + 60_000) });
    expect(await settleRunningInstall(repo.dir, say)).to.equal('ended');
    expect(await groupAlive(pid)).to.equal(false);
  });

  it('stops one still running at its deadline', async function () {
    const pid = install(repo.dir, 60_000);
    writeInstallRecord(repo.dir, { pid, startedAt: new Date(), until: new Date(Date.now() + 500) });
    expect(await settleRunningInstall(repo.dir, say)).to.equal('stopped');
    expect(await groupAlive(pid)).to.equal(false);
    expect(readInstallRecord(repo.dir)).to.equal(null);
  });

  it('never stops a process working elsewhere that the record names (a reused pid)', async function () {
    const elsewhere = makeTempDir('fluxos-preprod-elsewhere-');
    try {
      const pid = install(elsewhere.dir, 60_000);
      writeInstallRecord(repo.dir, { pid, startedAt: new Date(0), until: new Date(1000) });
      expect(await settleRunningInstall(repo.dir, say)).to.equal('none');
      expect(await groupAlive(pid)).to.equal(true);
    } finally {
      elsewhere.remove();
    }
  });
});
