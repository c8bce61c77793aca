/**
 * A hostile `userconfig.js` against the real CLI and the in-process boot: the file is read,
 * never run, so code in it neither writes nor loops, and a FIFO or device in its place is
 * refused without a read that could block.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createTestService } from '../../src/testing';
import { FileStateStore } from '../../src/state';
import { describeRun, errorLines, exists, runCli, STACK_LINE, writeSettingsFile } from '../support/cli';
import { createGitBed, type GitBed } from '../support/gitBed';

describe('hostile userconfig.js', function () {
  this.timeout(120_000);
  let bed: GitBed;
  let settings: string;
  let count = 0;

  before(async () => {
    bed = await createGitBed();
    settings = await writeSettingsFile(bed.dir, 'select-all.json', { remote: bed.upstream, probability: 1 });
  });
  after(async () => {
    await bed?.cleanup();
  });

  /** A node whose config/userconfig.js is made by `make`; returns its paths and a marker file code would write. */
  async function nodeWith(make: (file: string, marker: string) => Promise<void>) {
    count += 1;
    const dir = await bed.cloneNode(`hostile-userconfig-${count}`);
    const file = path.join(dir, 'config', 'userconfig.js');
    const marker = path.join(bed.dir, `pwned-${count}`);
    await fs.rm(file, { force: true });
    await make(file, marker);
    return { dir, file, marker, store: path.join(bed.dir, `hostile-userconfig-${count}.json`) };
  }

  const writes = (file: string, marker: string) =>
    fs.writeFile(
      file,
      `require('fs').writeFileSync(${JSON.stringify(marker)}, 'pwned');\nmodule.exports = { initial: { development: ` +
        `false } };\n`,
    );
  const loops = (file: string) =>
    fs.writeFile(file, 'while (true) {}\nmodule.exports = { initial: { disablePreProd: true } };\n');
  const fifo = async (file: string) => void execFileSync('mkfifo', [file]);
  const devZero = (file: string) => fs.symlink('/dev/zero', file);

  const cliCases = [
    { name: 'writes a file', make: writes, code: 0, reason: 'selected', branch: 'preprod' },
    { name: 'loops forever before its export', make: loops, code: 0, reason: 'disabled', branch: 'master' },
    { name: 'is a FIFO', make: fifo, code: 2, sentence: /named pipe \(FIFO\)/ },
    { name: 'is a symlink to /dev/zero', make: devZero, code: 2, sentence: /device, not a regular file/ },
  ];
  for (const c of cliCases) {
    it(`status and boot return when userconfig.js ${c.name}; the code never runs`, async () => {
      const n = await nodeWith(c.make);
      for (const command of ['status', 'boot']) {
        const run = await runCli(
          [command, '--repo', n.dir, '--store', `file:${n.store}`, '--config', settings, '--json'],
          { timeoutMs: 60_000 },
        );
        expect(run.timedOut, describeRun(run)).to.equal(false);
        expect(run.code, describeRun(run)).to.equal(c.code);
        expect(run.stderr).not.to.match(STACK_LINE);
        if (c.code === 2) {
          expect(errorLines(run.stderr)).to.have.length(1);
          expect(errorLines(run.stderr)[0]).to.match(c.sentence as RegExp);
          expect(run.stdout).to.equal('');
        } else {
          const result = JSON.parse(run.stdout) as { reason: string };
          expect(result.reason).to.equal(c.reason);
        }
      }
      expect(await exists(n.marker), 'the file ran').to.equal(false);
      const expected = c.code === 2 ? 'master' : c.branch;
      expect(await bed.git(n.dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal(expected);
      if (c.code === 2) expect(await exists(n.store), 'nothing stored before exit 2').to.equal(false);
    });
  }

  for (const c of [
    { name: 'loops forever', make: loops },
    { name: 'is a FIFO', make: fifo },
    { name: 'writes a file', make: writes },
  ]) {
    it(`runAtBoot() resolves when userconfig.js ${c.name}, and the code never runs`, async () => {
      const n = await nodeWith(c.make);
      const store = new FileStateStore(n.store);
      const service = createTestService({
        repoDir: n.dir,
        store,
        settings: {
          preProd: {
            remote: bed.upstream,
            probability: 1,
            restart: 'none',
            installCommand: ['true'],
            fetchTimeoutMs: 5000,
          },
        },
        armHealthyTimer: false,
      });
      const result = await service.runAtBoot();
      expect(result.mode).to.be.oneOf(['production', 'preprod']);
      expect(await exists(n.marker), 'the file ran').to.equal(false);
    });
  }
});
