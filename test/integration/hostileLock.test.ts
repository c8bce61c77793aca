/**
 * A lock left by a killed process must not count as held when a new process gets the same
 * PID (containers: FluxOS as PID 1 on every start). Real lock files, real processes, and
 * the real boot step on a git bed.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createTestService } from '../../src/testing';
import { isPreprodError } from '../../src/errors';
import { acquireLock } from '../../src/os/lockFile';
import { currentBootId, processStartTime } from '../../src/os/processIdentity';
import { FileStateStore } from '../../src/state';
import { createGitBed, type GitBed } from '../support/gitBed';
import { makeTempDir } from '../support/tmp';

describe('hostile locks: a PID that was reused', function () {
  this.timeout(60_000);
  let tmp: { dir: string; remove: () => void };
  let sleeper: ChildProcess;
  let count = 0;
  before(() => {
    tmp = makeTempDir('fluxos-preprod-lock-');
    sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
  });
  after(() => {
    sleeper.kill('SIGKILL');
    tmp.remove();
  });

  const bootId = () => currentBootId() ?? '-';
  const cases: { name: string; content: () => string; held: boolean }[] = [
    {
      name: 'this PID, another start time (the killed boot had our PID)',
      content: () => `${process.pid} 1 ${bootId()}\n`,
      held: false,
    },
    { name: 'a live PID, another start time', content: () => `${sleeper.pid} 1 ${bootId()}\n`, held: false },
    {
      name: 'a live PID, written before a reboot',
      content: () => `${sleeper.pid} ${processStartTime(sleeper.pid as number)} another-boot\n`,
      held: false,
    },
    {
      name: 'a live process, its own identity',
      content: () => `${sleeper.pid} ${processStartTime(sleeper.pid as number)} ${bootId()}\n`,
      held: true,
    },
    { name: 'a live PID, an old lock with the PID alone', content: () => `${sleeper.pid}`, held: true },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.held ? 'held' : 'taken over at once'}`, async () => {
      count += 1;
      const lockFile = path.join(tmp.dir, `lock-${count}`);
      await fs.writeFile(lockFile, c.content());
      const attempt = acquireLock(lockFile, {
        timeoutMs: c.held ? 300 : 30_000,
        staleMs: 15 * 60_000,
        what: 'the test lock',
      });
      if (c.held) {
        const error = await attempt.then(
          () => null,
          (e: unknown) => e,
        );
        expect(isPreprodError(error, 'timeout'), String(error)).to.equal(true);
        expect(await fs.readFile(lockFile, 'utf8')).to.equal(c.content());
        return;
      }
      const release = await attempt;
      const [pid, start, boot] = (await fs.readFile(lockFile, 'utf8')).trim().split(' ');
      expect(Number(pid)).to.equal(process.pid);
      expect(start).to.equal(processStartTime(process.pid));
      expect(boot).to.equal(bootId());
      await release();
    });
  }

  describe('the boot lock', () => {
    let bed: GitBed;
    before(async () => {
      bed = await createGitBed();
    });
    after(async () => {
      await bed?.cleanup();
    });

    it('a boot lock left by a killed boot whose PID this process now has does not hold the boot up', async () => {
      const dir = await bed.cloneNode('reused-pid');
      // What a killed boot leaves when FluxOS runs as the same PID again (PID 1 in a container).
      await fs.writeFile(path.join(dir, '.git', 'fluxos-preprod.lock'), `${process.pid} 1 ${bootId()}\n`);
      const service = createTestService({
        repoDir: dir,
        store: new FileStateStore(path.join(bed.dir, 'reused-pid.json')),
        // A deadline longer than the test's timeout: waiting the lock out fails the test.
        settings: {
          preProd: {
            remote: bed.upstream,
            probability: 1,
            restart: 'none',
            installCommand: ['true'],
            bootDeadlineMs: 300_000,
          },
        },
        armHealthyTimer: false,
      });
      const result = await service.runAtBoot();
      expect(result.reason).to.equal('selected');
      expect(result.branch.after).to.equal('preprod');
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
    });
  });
});
