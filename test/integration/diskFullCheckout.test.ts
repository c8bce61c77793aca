/**
 * A switch into a full disk (docs/design.md §4), on a real full file system: the
 * node's checkout is copied onto a small tmpfs in a private mount namespace
 * (`unshare -m`, root only; the mount goes with the namespace), the tmpfs is
 * filled up, and the CLI boots into it. git writes part of preprod's files and
 * stops before HEAD moves. The result must say so (`switch-failed`, git's words,
 * part of preprod on disk), `status` must say what the next boot does, and once
 * there is room the next boot finishes the switch without saving preprod's own
 * files as the operator's local changes.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BACKUP_FOLDER, BACKUP_REF_ROOT } from '../../src/checkout/saveLocalWork';
import { CLI_PATH, writeSettingsFile } from '../support/cli';
import { createGitBed, type GitBed } from '../support/gitBed';

/** Runs the whole scenario in one mount namespace; each step's stdout goes to `<out>/<step>.json`. */
const SCENARIO = `
set -u
mount -t tmpfs -o size=8m tmpfs "$MNT" || exit 90
cp -a "$SRC" "$MNT/node" || exit 91
avail=$(df -k --output=avail "$MNT" | tail -n 1)
head -c $(( (avail - 300) * 1024 )) /dev/zero > "$MNT/filler" 2>/dev/null
boot() {
  "$NODE" "$CLI" "$1" --repo "$MNT/node" --store "file:$OUT/state.json" --config "$CFG" --json > "$OUT/$2.json"
}
boot boot first
rm -f "$MNT/filler"
boot status status
boot boot second
rm -rf "$OUT/node" && cp -a "$MNT/node" "$OUT/node" || exit 92
`;

function runScenario(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', SCENARIO],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr: String(stderr) }),
    );
  });
}

describe('a switch into a full disk (real tmpfs, unshare -m)', function () {
  this.timeout(180_000);
  let bed: GitBed;
  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('This suite mounts a tmpfs: it must run as root (CI does).');
    bed = await createGitBed();
  });
  after(async () => bed?.cleanup());

  it('switch-failed with what is on disk; the next boot finishes, no backup of preprod files', async function () {
    // preprod changes a tracked file and adds one larger than the room left (random: it does not compress).
    const big = randomBytes(1_200_000).toString('base64');
    const app = "require('./apiServer'); // preprod\n";
    await bed.commitTo('preprod', { 'ZelBack/big.js': big, 'app.js': app }, 'Preprod ships a large file');
    const dir = await bed.cloneNode('node');
    // The operator's own edit of a file preprod changes: saved once, by the switch that began.
    const edit = "require('./apiServer'); // the operator's edit\n";
    await fs.writeFile(path.join(dir, 'app.js'), edit);
    const out = path.join(bed.dir, 'out');
    await fs.mkdir(out);
    const cfg = await writeSettingsFile(bed.dir, 'settings.json', { remote: bed.upstream, probability: 1 });
    const env = { MNT: path.join(bed.dir, 'mnt'), SRC: dir, OUT: out, CFG: cfg, NODE: process.execPath, CLI: CLI_PATH };
    await fs.mkdir(env.MNT);
    const ran = await runScenario(env);
    expect(ran.code, ran.stderr).to.equal(0);
    const read = async (step: string) => JSON.parse(await fs.readFile(path.join(out, `${step}.json`), 'utf8'));
    const [first, status, second] = [await read('first'), await read('status'), await read('second')];
    const why = `${ran.stderr}\n${JSON.stringify({ first, status, second }, null, 2)}`;

    expect(first.reason, why).to.equal('switch-failed');
    expect(first.message, `git's words; ${why}`).to.match(/unable to write file|No space left|Out of diskspace/);
    expect(first.message, why).to.include("git stopped part way: the work tree holds part of preprod's files");
    expect(first.message, why).not.to.match(/the checkout is on master/);

    expect(status, why).to.deep.include({ reason: second.reason, mode: 'production' });
    expect(status.branch, why).to.deep.equal({ before: 'master', after: 'preprod', switched: false });

    expect(second, why).to.deep.include({ mode: 'preprod', reason: 'selected' });
    expect(second.branch, why).to.deep.equal({ before: 'master', after: 'preprod', switched: true });
    const node = path.join(out, 'node');
    expect(await bed.git(node, 'rev-parse', 'HEAD'), why).to.equal(await bed.preprodTip());
    expect(await bed.git(node, 'status', '--porcelain'), why).to.equal('');
    expect(await fs.readFile(path.join(node, 'ZelBack', 'big.js'), 'utf8'), 'whole').to.equal(big);
    // One backup: the operator's edit, saved by the first boot before git began. The recovering boot saved
    // nothing (preprod's app.js and the half-written big.js are the checkout's own writes) and moved nothing.
    const backups = await bed.git(node, 'for-each-ref', '--format=%(refname)', `${BACKUP_REF_ROOT}/`);
    expect(backups.split('\n'), `one backup, of the operator's edit; ${why}`).to.have.length(1);
    expect(await bed.git(node, 'show', `${backups}:app.js`), why).to.equal(edit.trim());
    const folders = await fs.readdir(path.join(node, '.git', BACKUP_FOLDER));
    expect(folders, why).to.have.length(1);
    const moved = await fs.readdir(path.join(node, '.git', BACKUP_FOLDER, folders[0]));
    expect(moved, `no files moved aside; ${why}`).to.deep.equal(['manifest.json']);
  });
});
