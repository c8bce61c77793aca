/**
 * The guard FluxOS runs first (examples/fluxos/preprodGuard.js, docs/design.md §9), on real git checkouts,
 * each start in a process of its own as FluxOS's app.js runs it: what it records, when it falls back, and
 * that its fallback loses nothing.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { markRunningStartHealthy, readStartJournal } from '../../src/boot/startRecords';
import { unhealthyInRow } from '../../src/cohort/bootRecords';
import { createGitBed, type GitBed } from '../support/gitBed';

const GUARD = path.resolve(__dirname, '../../../examples/fluxos/preprodGuard.js');

interface Ran {
  code: number | null;
  signal: string | null;
  stderr: string;
}

/** One start: the guard, then `then` (a line of JavaScript: a crash, a clean exit, a stop signal). */
function start(dir: string, then: string): Promise<Ran> {
  const source = `require(${JSON.stringify(GUARD)}).guardStart(${JSON.stringify(dir)});\n${then}`;
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['-e', source], { cwd: dir }, (_error, _stdout, stderr) =>
      resolve({ code: child.exitCode, signal: child.signalCode, stderr: String(stderr) }),
    );
  });
}

const CRASH = "throw new Error('release candidate crashes at import');";
const CLEAN_EXIT = 'process.exit(0);';
const SIGTERM = "process.kill(process.pid, 'SIGTERM'); setInterval(() => undefined, 1000);";

describe('the guard at the top of app.js (real git)', function () {
  this.timeout(60_000);
  let bed: GitBed;
  before(async function () {
    bed = await createGitBed();
  });
  after(async function () {
    await bed?.cleanup();
  });

  it('records nothing and changes nothing on a checkout that is not on preprod', async function () {
    const dir = await bed.cloneNode();
    const ran = await start(dir, CRASH);
    expect(ran.code).to.equal(1);
    expect(await fs.readdir(path.join(dir, '.git'))).not.to.include('fluxos-preprod-starts.json');
  });

  it('records how each start ended: crash, clean exit, stop signal (re-raised: the process ends)', async function () {
    const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
    expect((await start(dir, CRASH)).code).to.equal(1);
    expect((await start(dir, CLEAN_EXIT)).code).to.equal(0);
    expect((await start(dir, SIGTERM)).signal).to.equal('SIGTERM');
    const ends = readStartJournal(dir)?.starts.map((s) => [s.end?.how, s.end?.why]);
    expect(ends).to.deep.equal([
      ['crash', 'exit 1'],
      ['clean', 'exit 0'],
      ['clean', 'SIGTERM'],
    ]);
  });

  it('falls back to master after 3 crashes in a row, with an operator file kept and the tree clean', async function () {
    const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
    await fs.writeFile(path.join(dir, 'operator-notes.txt'), 'mine\n');
    for (let crash = 0; crash < 3; crash += 1) expect((await start(dir, CRASH)).code).to.equal(1);
    expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
    const fallback = await start(dir, "require('fs').writeFileSync('ran-on', 'code after the guard');");
    expect(fallback.code, fallback.stderr).to.equal(1);
    expect(fallback.stderr).to.match(/3 unhealthy starts in a row on preprod: putting the node on master/);
    expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
    expect(await bed.git(dir, 'rev-parse', 'HEAD')).to.equal(await bed.masterTip());
    expect(await fs.readFile(path.join(dir, 'operator-notes.txt'), 'utf8')).to.equal('mine\n');
    expect(await bed.git(dir, 'status', '--porcelain')).to.equal('?? operator-notes.txt');
    expect(await fs.readdir(dir)).not.to.include('ran-on');
    expect(readStartJournal(dir)?.fellBackAt).to.be.instanceOf(Date);
  });

  it('leaves the node on preprod when git refuses (a local change in the way); FluxOS starts as is', async function () {
    const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
    // app.js differs between the branches: a local change to it blocks a checkout that would overwrite it.
    await fs.appendFile(path.join(dir, 'app.js'), '// an operator edit\n');
    for (let crash = 0; crash < 3; crash += 1) await start(dir, CRASH);
    const ran = await start(dir, CLEAN_EXIT);
    expect(ran.code).to.equal(0);
    expect(ran.stderr).to.match(/could not put the node on master: /);
    expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('preprod');
    expect(await fs.readFile(path.join(dir, 'app.js'), 'utf8')).to.match(/an operator edit/);
  });

  it("the CLI's healthy marks the running FluxOS start, which then never counts, however it ends", async function () {
    const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
    const running = start(dir, "process.stdout.write('up'); setInterval(() => undefined, 1000);");
    const started = () => readStartJournal(dir)?.starts.length === 1;
    while (!started()) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(markRunningStartHealthy(dir, new Date())).to.equal(true);
    const pid = Number.parseInt(readStartJournal(dir)?.starts[0].id ?? '', 10);
    process.kill(pid, 'SIGKILL');
    expect((await running).signal).to.equal('SIGKILL');
    const journal = readStartJournal(dir);
    expect(journal?.starts[0].healthy).to.be.instanceOf(Date);
    expect(unhealthyInRow(journal ?? { starts: [] }, null)).to.equal(0);
  });

  it('never throws: an unreadable start record file and a missing .git are no reason not to start', async function () {
    const dir = await bed.cloneNode(undefined, { branch: 'preprod' });
    await fs.writeFile(path.join(dir, '.git', 'fluxos-preprod-starts.json'), '{ torn');
    expect((await start(dir, CLEAN_EXIT)).code).to.equal(0);
    const bare = path.join(bed.dir, 'not-a-checkout');
    await fs.mkdir(bare);
    expect((await start(bare, CLEAN_EXIT)).code).to.equal(0);
  });
});
