/**
 * Hostile files where the package reads and writes its own: planted symlinks, FIFOs,
 * /dev/zero, huge files, directories others may write, and a umask of 000. Real files,
 * the real file store, the real CLI.
 */
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FileStateStore } from '../../src/state';
import { isPreprodError, type PreprodError } from '../../src/errors';
import {
  CLI_PATH,
  describeRun,
  errorLines,
  startProcess,
  runCli,
  STACK_LINE,
  writeSettingsFile,
  type CliResult,
} from '../support/cli';
import { createGitBed, type GitBed } from '../support/gitBed';
import { makeTempDir } from '../support/tmp';

const VICTIM_TEXT = 'precious operator data\n';

async function rejection(promise: Promise<unknown>): Promise<PreprodError> {
  try {
    await promise;
  } catch (error) {
    expect(isPreprodError(error), String(error)).to.equal(true);
    return error as PreprodError;
  }
  throw new Error('expected a rejection');
}

const mkfifo = (file: string) => execFileSync('mkfifo', [file]);
/** A 300 MB file that costs no disk: a hole. */
const huge = async (file: string) => {
  await fs.writeFile(file, '{}');
  await fs.truncate(file, 300 * 1024 * 1024);
};

describe('hostile files: the file store', function () {
  this.timeout(60_000);
  let tmp: { dir: string; remove: () => void };
  let count = 0;
  beforeEach(async () => {
    tmp = makeTempDir('fluxos-preprod-hostile-files-');
  });
  afterEach(() => tmp.remove());

  async function stateDir(mode: number): Promise<string> {
    count += 1;
    const dir = path.join(tmp.dir, `state-${count}`);
    await fs.mkdir(dir);
    await fs.chmod(dir, mode);
    return dir;
  }

  it('a symlink planted at any temp name the writer could pick never redirects the write', async () => {
    const dir = await stateDir(0o1777); // sticky, like /tmp: others may plant files
    const victim = path.join(tmp.dir, 'victim.txt');
    await fs.writeFile(victim, VICTIM_TEXT);
    const file = path.join(dir, 'state.json');
    // The names a writer with a pid and a counter would use.
    for (let i = 0; i <= 50; i++) await fs.symlink(victim, `${file}.${process.pid}.${i}.tmp`);
    const store = new FileStateStore(file);
    for (let i = 0; i < 20; i++) await store.set(`k${i}`, { key: `k${i}`, value: i });
    expect(await fs.readFile(victim, 'utf8')).to.equal(VICTIM_TEXT);
    expect((await store.get('k19'))?.value).to.equal(19);
    expect(((await fs.stat(file)).mode & 0o777).toString(8)).to.equal('600');
  });

  it('a state file that is a symlink is not followed: not read, not written through', async () => {
    const dir = await stateDir(0o700);
    const victim = path.join(tmp.dir, 'victim.json');
    await fs.writeFile(victim, '{"isPreProd":{"value":true,"draw":0.01}}');
    const file = path.join(dir, 'state.json');
    await fs.symlink(victim, file);
    const store = new FileStateStore(file);
    expect((await rejection(store.get('isPreProd'))).message).to.match(/symbolic link/);
    expect((await rejection(store.set('x', { key: 'x', value: 1 }))).message).to.match(/symbolic link/);
    expect(await fs.readFile(victim, 'utf8')).to.equal('{"isPreProd":{"value":true,"draw":0.01}}');
  });

  const special: { name: string; make: (file: string) => Promise<unknown> | unknown; sentence: RegExp }[] = [
    { name: 'a FIFO', make: mkfifo, sentence: /named pipe \(FIFO\)/ },
    { name: 'a symlink to /dev/zero', make: (file) => fs.symlink('/dev/zero', file), sentence: /symbolic link/ },
    { name: 'a 300 MB file', make: huge, sentence: /larger than \d+ [KM]iB/ },
  ];
  for (const c of special) {
    it(`a state file that is ${c.name} is refused in one sentence, at once`, async () => {
      const file = path.join(await stateDir(0o700), 'state.json');
      await c.make(file);
      const store = new FileStateStore(file);
      const error = await rejection(store.get('isPreProd'));
      expect(error.kind).to.equal('store-unavailable');
      expect(error.message).to.match(c.sentence);
      expect(error.message).to.match(/^Cannot read the state file .*\.$/);
    });

    it(`a lock file that is ${c.name} is refused in one sentence, and left alone`, async () => {
      const file = path.join(await stateDir(0o700), 'state.json');
      await c.make(`${file}.lock`);
      const store = new FileStateStore(file, { lockTimeoutMs: 20_000 });
      const error = await rejection(store.set('k', { key: 'k', value: 1 }));
      expect(error.kind).to.equal('store-unavailable');
      expect(error.message).to.match(/is not one of ours/);
      expect(error.message).to.match(c.sentence);
      await fs.lstat(`${file}.lock`); // still there
    });
  }

  it('a state file that is not JSON: the error shows where, never what', async () => {
    const file = path.join(await stateDir(0o700), 'state.json');
    await fs.writeFile(file, 'root:$6$S3cretSaltAndHash$abcdef:19000:0:99999:7:::\n');
    const error = await rejection(new FileStateStore(file).get('isPreProd'));
    expect(error.kind).to.equal('store-corrupt');
    expect(error.message).not.to.match(/root|S3cret|\$6\$|'r'/);
    expect(error.message).to.match(/invalid JSON/);
  });

  const directories: { name: string; mode: number; owner?: number; refused: RegExp | null }[] = [
    { name: 'writable by others', mode: 0o777, refused: /group or others may write to it \(mode 0777\)/ },
    { name: 'writable by its group', mode: 0o770, refused: /group or others may write to it \(mode 0770\)/ },
    { name: 'owned by another user', mode: 0o700, owner: 65534, refused: /owned by another user \(uid 65534\)/ },
    { name: 'sticky and writable by all, like /tmp', mode: 0o1777, refused: null },
    { name: 'private', mode: 0o700, refused: null },
  ];
  for (const c of directories) {
    it(`a state directory ${c.name} is ${c.refused ? 'refused with one sentence' : 'used'}`, async () => {
      const dir = await stateDir(c.mode);
      if (c.owner !== undefined) await fs.chown(dir, c.owner, c.owner);
      const store = new FileStateStore(path.join(dir, 'state.json'));
      if (c.refused === null) {
        await store.set('k', { key: 'k', value: 1 });
        expect((await store.get('k'))?.value).to.equal(1);
        return;
      }
      for (const attempt of [() => store.set('k', { key: 'k', value: 1 }), () => store.get('k')]) {
        const error = await rejection(attempt());
        expect(error.kind).to.equal('store-unavailable');
        expect(error.message).to.match(/^Refusing the state directory /);
        expect(error.message).to.match(c.refused);
        expect(error.message.split('. ')).to.have.length(1);
      }
      expect(await fs.readdir(dir)).to.deep.equal([]);
    });
  }
});

describe('hostile files: the CLI', function () {
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

  function oneSentence(run: CliResult, pattern: RegExp): void {
    expect(run.timedOut, describeRun(run)).to.equal(false);
    expect(run.stderr).not.to.match(STACK_LINE);
    const lines = errorLines(run.stderr);
    expect(lines, describeRun(run)).to.have.length(1);
    expect(lines[0]).to.match(pattern);
  }

  /** Runs the CLI with umask 000, through sh so the umask applies before node starts. */
  function runUnderUmask000(args: string[]): Promise<CliResult> {
    return startProcess('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, CLI_PATH, ...args]).exited;
  }

  it('under umask 000 the package creates nothing group- or world-writable', async () => {
    count += 1;
    const dir = await bed.cloneNode(`umask-${count}`);
    const stateRoot = path.join(bed.dir, `umask-state-${count}`);
    const storeFile = path.join(stateRoot, 'a', 'b', 'state.json');
    const run = await runUnderUmask000([
      'boot',
      '--repo',
      dir,
      '--store',
      `file:${storeFile}`,
      '--config',
      settings,
      '--json',
    ]);
    expect(run.code, describeRun(run)).to.equal(0);
    expect(JSON.parse(run.stdout).branch.switched).to.equal(true);
    const created = [stateRoot, path.join(stateRoot, 'a'), path.join(stateRoot, 'a', 'b'), storeFile];
    const modes = await Promise.all(created.map(async (p) => ((await fs.stat(p)).mode & 0o777).toString(8)));
    expect(modes).to.deep.equal(['700', '700', '700', '600']);
    expect(await fs.readdir(path.dirname(storeFile))).to.deep.equal(['state.json']);
    // The detached install's log: the runner appends under the same umask.
    const logFile = path.join(bed.dir, `install-${count}.log`);
    const job = { dir, argv: [process.execPath, '-e', '0'], timeoutMs: 10_000, touchFile: null, logFile };
    const runner = path.join(path.dirname(CLI_PATH), 'restart', 'installRunner.js');
    await new Promise<void>((resolve, reject) => {
      const child = spawn('sh', ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, runner, JSON.stringify(job)], {
        stdio: 'ignore',
      });
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    expect(((await fs.stat(logFile)).mode & 0o777).toString(8)).to.equal('600');
  });

  const specials: {
    name: string;
    make: (file: string) => Promise<unknown> | unknown;
    reason: RegExp;
    stateReason: RegExp;
  }[] = [
    { name: 'a FIFO', make: mkfifo, reason: /named pipe \(FIFO\)/, stateReason: /named pipe \(FIFO\)/ },
    {
      name: 'a symlink to /dev/zero',
      make: (file) => fs.symlink('/dev/zero', file),
      reason: /device, not a regular file/,
      stateReason: /symbolic link, which is not followed/,
    },
    { name: 'a 300 MB file', make: huge, reason: /larger than/, stateReason: /larger than 1 MiB/ },
  ];
  for (const c of specials) {
    it(`--config that is ${c.name}: exit 2, one sentence, nothing moved`, async () => {
      count += 1;
      const dir = await bed.cloneNode(`config-${count}`);
      const file = path.join(bed.dir, `config-${count}.json`);
      await c.make(file);
      const run = await runCli([
        'boot',
        '--repo',
        dir,
        '--store',
        `file:${bed.dir}/cfg-${count}/state.json`,
        '--config',
        file,
      ]);
      expect(run.code, describeRun(run)).to.equal(2);
      oneSentence(run, c.reason);
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
    });

    it(`--targets that is ${c.name}: exit 2, one sentence`, async () => {
      count += 1;
      const file = path.join(bed.dir, `targets-${count}.txt`);
      await c.make(file);
      const run = await runCli(['fleet', '--targets', file, '--timeout', '1000']);
      expect(run.code, describeRun(run)).to.equal(2);
      oneSentence(run, c.reason);
    });

    it(`a state file that is ${c.name}: boot and status exit 1 (store-unavailable) and nothing moves`, async () => {
      count += 1;
      const dir = await bed.cloneNode(`statefile-${count}`);
      const stateDir = path.join(bed.dir, `statedir-${count}`);
      await fs.mkdir(stateDir, { mode: 0o700 });
      const file = path.join(stateDir, 'state.json');
      await c.make(file);
      for (const command of ['status', 'boot']) {
        const run = await runCli([command, '--repo', dir, '--store', `file:${file}`, '--config', settings, '--json']);
        expect(run.timedOut, describeRun(run)).to.equal(false);
        expect(run.code, describeRun(run)).to.equal(1);
        const result = JSON.parse(run.stdout) as { reason: string; message: string };
        expect(result.reason).to.equal('store-unavailable');
        expect(result.message).to.match(c.stateReason);
      }
      expect(await bed.git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('master');
    });
  }
});
