/**
 * Issue 17, bounded input: the history file is opened without following a
 * symlink, and only a regular file is read or written. Real files, a real
 * FIFO (which would hang a reader that opened it blocking), the real CLI.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FileHistory } from '../../src/gate/history/fileHistory';
import { buildScan } from '../../src/gate/history/scanRecord';
import { describeRun, errorLines, runCli, STACK_LINE } from '../support/cli';
import { makeTempDir } from '../support/tmp';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected a rejection, got a result.');
}

describe('gate history file: only a regular file, never through a symlink', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir('gate-history-files-');
  });
  afterEach(() => tmp.remove());
  const scanOne = (history: FileHistory) =>
    history.append((tail) => buildScan(tail.table, [], '2026-01-01T00:00:00.000Z', tail.seq + 1));

  it('a symlink to a real history is neither read nor written, and the target is untouched', async () => {
    const real = path.join(tmp.dir, 'real.log');
    await scanOne(new FileHistory(real));
    const before = await fs.readFile(real);
    const link = path.join(tmp.dir, 'link.log');
    await fs.symlink(real, link);
    const read = await rejection(new FileHistory(link).read());
    expect(read.message).to.match(
      /Cannot read the history file .*link\.log: it is a symbolic link, which is never followed\./,
    );
    const write = await rejection(scanOne(new FileHistory(link)));
    expect(write.message).to.match(/Cannot open the history file .*link\.log: it is a symbolic link/);
    expect(await fs.readFile(real)).to.deep.equal(before);
    const gate = await runCli(['gate', '--history', `file:${link}`]);
    expect(gate.code, describeRun(gate)).to.equal(4);
    expect(errorLines(gate.stderr)).to.have.length(1);
    expect(gate.stderr).to.not.match(STACK_LINE);
  });

  it('a FIFO is refused at once instead of hanging the reader; a directory is refused', async () => {
    const fifo = path.join(tmp.dir, 'fifo.log');
    execFileSync('mkfifo', [fifo]);
    const read = await rejection(new FileHistory(fifo).read());
    expect(read.message).to.match(/Cannot read the history file .*fifo\.log: it is not a regular file\./);
    const write = await rejection(scanOne(new FileHistory(fifo)));
    expect(write.message).to.match(/Cannot write the history file .*fifo\.log: it is not a regular file\./);
    const gate = await runCli(['gate', '--history', `file:${fifo}`]);
    expect(gate.code, describeRun(gate)).to.equal(4);
    const dir = path.join(tmp.dir, 'dir.log');
    await fs.mkdir(dir);
    expect((await rejection(new FileHistory(dir).read())).message).to.match(/it is not a regular file\./);
  });
});
