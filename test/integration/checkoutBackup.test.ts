import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { openRepository, type Repository } from '../../src/checkout/repository';
import { bedEnv, createGitBed, type GitBed } from '../support/gitBed';

/**
 * A switch never loses an operator's files (docs/design.md §4): whatever
 * either branch's ignore rules say, untracked and ignored files stay, and
 * whatever the forced checkout overwrites (local edits, untracked files at a
 * path the target tracks, local commits on the branch it resets) is saved
 * first, with a log line that names where and the command that restores it.
 */

const MASTER_IGNORE = 'config/userconfig.js\nnode_modules/\n*.log\n';
// preprod no longer ignores userconfig.js, and ignores a data folder that master does not.
const PREPROD_IGNORE = 'node_modules/\n*.log\nappdata/\n';

interface Captured {
  lines: string[];
  logger: { error(m: string): void; warn(m: string): void; info(m: string): void; debug(m: string): void };
}

function captureLog(): Captured {
  const lines: string[] = [];
  const push = (m: string): void => void lines.push(m);
  return { lines, logger: { error: push, warn: push, info: push, debug: () => undefined } };
}

/** Runs a restore command exactly as an operator would paste it into a shell. */
function runLogged(command: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { cwd, env: bedEnv() }, (error, _stdout, stderr) =>
      error ? reject(new Error(`${command}: ${stderr}`)) : resolve(),
    );
  });
}

/** The restore command of the log line that names `what`. */
function restoreCommandFor(lines: string[], what: RegExp): string {
  const line = lines.find((l) => what.test(l) && l.includes('restore with: '));
  expect(line, `a log line naming ${what} and its restore command in:\n${lines.join('\n')}`).to.be.a('string');
  return (line as string).slice((line as string).indexOf('restore with: ') + 'restore with: '.length);
}

async function read(file: string): Promise<string | null> {
  return fs.readFile(file, 'utf8').catch(() => null);
}

describe('Switches keep every operator file (real git)', () => {
  let bed: GitBed;

  afterEach(async () => {
    if (bed) await bed.cleanup();
  });

  async function switchTo(repo: Repository, branch: string): Promise<void> {
    await repo.fetch('origin', ['master', 'preprod'], 10_000);
    await repo.switchTo(branch, 'origin');
    expect((await repo.head()).branch).to.equal(branch);
  }

  it('five switches back and forth leave userconfig.js, untracked, ignored and edited files recoverable', async () => {
    bed = await createGitBed();
    await bed.commitTo('master', { '.gitignore': MASTER_IGNORE }, 'ignore rules');
    await bed.commitTo(
      'preprod',
      { '.gitignore': PREPROD_IGNORE, 'ZelBack/src/newFeature.js': 'exports.x = 1;\n' },
      'rc',
    );
    const node = await bed.cloneNode();
    const file = (p: string): string => path.join(node, p);
    const userconfig = (await read(file('config/userconfig.js'))) as string;
    await fs.writeFile(file('NOTES.txt'), 'my notes\n');
    await fs.mkdir(file('appdata/db'), { recursive: true });
    await fs.writeFile(file('appdata/db/data.json'), '{"apps":1}\n');
    await fs.writeFile(file('README.md'), '# Flux test bed\nmy local edit\n');
    // An untracked file at a path that preprod tracks: the checkout would overwrite it.
    await fs.mkdir(file('ZelBack/src'), { recursive: true });
    await fs.writeFile(file('ZelBack/src/newFeature.js'), 'my own version\n');
    const log = captureLog();
    const repo = openRepository(node, { logger: log.logger });

    for (const branch of ['preprod', 'master', 'preprod', 'master', 'preprod']) {
      await switchTo(repo, branch);
      expect(await read(file('config/userconfig.js')), `userconfig.js after the switch to ${branch}`).to.equal(
        userconfig,
      );
      expect(await read(file('NOTES.txt')), `NOTES.txt after the switch to ${branch}`).to.equal('my notes\n');
      expect(await read(file('appdata/db/data.json')), `appdata after the switch to ${branch}`).to.equal(
        '{"apps":1}\n',
      );
    }
    expect(await read(file('ZelBack/src/newFeature.js'))).to.equal('exports.x = 1;\n');
    expect(await read(file('README.md'))).to.equal('# Flux test bed\n');

    // The edit to a tracked file and the overwritten untracked file come back with the logged commands.
    await runLogged(restoreCommandFor(log.lines, /README\.md/), node);
    expect(await read(file('README.md'))).to.equal('# Flux test bed\nmy local edit\n');
    await runLogged(restoreCommandFor(log.lines, /ZelBack\/src\/newFeature\.js/), node);
    expect(await read(file('ZelBack/src/newFeature.js'))).to.equal('my own version\n');
    // One backup, made by the first switch: the later ones had nothing local to save.
    expect(log.lines.filter((l) => l.includes('restore with: '))).to.have.length(2);
  });

  it('keeps a local commit on master that the remote lacks under a backup ref before resetting master', async () => {
    bed = await createGitBed();
    const node = await bed.cloneNode();
    await fs.writeFile(path.join(node, 'hotfix.js'), 'local fix\n');
    await bed.git(node, 'add', 'hotfix.js');
    await bed.git(node, 'commit', '--quiet', '-m', 'operator hotfix');
    const local = await bed.git(node, 'rev-parse', 'HEAD');
    const log = captureLog();
    const repo = openRepository(node, { logger: log.logger });

    await switchTo(repo, 'preprod');
    await switchTo(repo, 'master');
    expect(await bed.git(node, 'rev-parse', 'HEAD')).to.equal(await bed.masterTip());
    await runLogged(restoreCommandFor(log.lines, /local commits? of master/), node);
    const restored = await bed.git(node, 'for-each-ref', '--format=%(objectname)', '--contains', local, 'refs/heads/');
    expect(restored.split('\n')).to.include(local);
  });

  it('saves nothing and logs nothing to restore for a node with nothing local', async () => {
    bed = await createGitBed();
    const node = await bed.cloneNode();
    const log = captureLog();
    const repo = openRepository(node, { logger: log.logger });
    await switchTo(repo, 'preprod');
    await switchTo(repo, 'master');
    expect(log.lines.filter((l) => l.includes('restore with: '))).to.deep.equal([]);
    expect(await bed.git(node, 'for-each-ref', 'refs/fluxos-preprod/')).to.equal('');
  });
});
