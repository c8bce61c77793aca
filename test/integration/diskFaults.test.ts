import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createGitBed, type GitBed } from '../support/gitBed';
import type { BootChildArgs } from '../support/faults/bootChild';
import { INSTALLED_FILE } from '../support/faults/fakeInstall';
import { checkoutState, FAKE_INSTALL, runBoot } from '../support/faults/harness';

/**
 * docs/design.md §4 when the file system fails under the boot: the disk full, or the
 * checkout read-only. We run as root, so permissions stop nothing; the faults
 * are made by the kernel instead:
 * - disk full: the boot runs under `prlimit --fsize`, so every write past the
 *   limit fails. Git run as is dies of SIGXFSZ (a crash in the middle of a
 *   write); with SIGXFSZ ignored (a `git` shim that execs the real git under
 *   `env --ignore-signal=XFSZ`) its writes fail with EFBIG and it takes its
 *   error path, as it does with ENOSPC.
 * - read-only: as root, the boot runs in its own mount namespace
 *   (`unshare --mount`) where a path is bind-mounted read-only over itself:
 *   EROFS for everyone, root included, and the mount vanishes with the
 *   process. Anyone else (a CI runner) is stopped by permissions: the
 *   directories lose their write bits for the faulty boot (EACCES).
 * After the faulty boot, and again after a following normal boot, the
 * checkout must be usable and the result must tell the truth about it.
 */

const FILE_SIZE_LIMIT = 1024 * 1024;
const BOOT_DEADLINE_MS = 8000;

function findOnPath(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  throw new Error(`${name} is not on PATH; the disk-fault tests need it (util-linux / coreutils).`);
}

/** Directories under `dir` (itself included), deepest first. */
async function directoriesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) found.push(...(await directoriesUnder(path.join(dir, entry.name))));
  }
  found.push(dir);
  return found;
}

/** Without root, take the write bits off every directory under `paths` (nothing can be created, renamed or removed);
 * returns the undo. */
async function withoutWriteBits(paths: string[]): Promise<() => Promise<void>> {
  const changed: Array<{ dir: string; mode: number }> = [];
  for (const top of paths) {
    for (const dir of await directoriesUnder(top)) {
      const { mode } = await fs.stat(dir);
      await fs.chmod(dir, mode & ~0o222);
      changed.push({ dir, mode });
    }
  }
  return async () => {
    for (const { dir, mode } of changed.reverse()) await fs.chmod(dir, mode);
  };
}

async function sha256(file: string): Promise<string | null> {
  const bytes = await fs.readFile(file).catch(() => null);
  return bytes === null ? null : createHash('sha256').update(bytes).digest('hex');
}

interface DiskCase {
  name: string;
  /** Changes to upstream preprod made after the node is cloned (objects the fetch must write). */
  afterClone?: Record<string, string>;
  /** argv prefix of the boot child. */
  wrapper: (env: { shimPath: string }) => string[];
  /** Paths, relative to the checkout, made read-only for the faulty boot (wrapper: readOnlyWrapper). */
  readOnly?: string[];
  /** The one log line (and the result message) must name the failure this way. */
  cause: RegExp;
  /** Where the faulty boot may leave HEAD. */
  branchAfterFault: Array<'master' | 'preprod'>;
  /** The reason code the faulty boot must give, when only one is right. */
  reason?: string;
}

describe('disk faults during a switch: disk full, read-only checkout', function () {
  this.timeout(60_000);
  const prlimit = (): string[] => [findOnPath('prlimit'), `--fsize=${FILE_SIZE_LIMIT}`, '--'];
  const isRoot = process.getuid?.() === 0;
  // Root makes paths read-only with a private mount; for anyone else permissions do (withoutWriteBits).
  const readOnlyWrapper = (): string[] => (isRoot ? [findOnPath('unshare'), '--mount', '--'] : []);
  const READ_ONLY = isRoot ? /Read-only file system/ : /Permission denied/;
  // A git whose writes past the limit fail with EFBIG instead of killing it.
  const ignoringXfsz = (shimPath: string): string[] => [
    findOnPath('env'),
    `PATH=${shimPath}${path.delimiter}${process.env.PATH ?? ''}`,
  ];

  const cases: DiskCase[] = [
    {
      name: 'disk full while checking out (git gets EFBIG and takes its error path)',
      wrapper: ({ shimPath }) => [...ignoringXfsz(shimPath), ...prlimit()],
      cause: /unable to write file|File too large/,
      branchAfterFault: ['master', 'preprod'],
    },
    {
      name: 'file-size limit while checking out (git killed by SIGXFSZ mid-write)',
      wrapper: () => prlimit(),
      cause: /git checkout/,
      branchAfterFault: ['master', 'preprod'],
    },
    {
      name: 'disk full while fetching (no room for the new objects)',
      afterClone: { 'assets/random.bin': randomBytes(2 * FILE_SIZE_LIMIT).toString('base64') },
      wrapper: ({ shimPath }) => [...ignoringXfsz(shimPath), ...prlimit()],
      cause: /Fetching .* failed/,
      branchAfterFault: ['master'],
      reason: 'fetch-failed',
    },
    {
      name: 'the whole checkout read-only',
      wrapper: readOnlyWrapper,
      readOnly: ['.'],
      cause: READ_ONLY,
      branchAfterFault: ['master'],
    },
    {
      name: 'part of the work tree read-only (lib/)',
      wrapper: readOnlyWrapper,
      readOnly: ['lib'],
      cause: READ_ONLY,
      branchAfterFault: ['master', 'preprod'],
    },
  ];

  let shimPath: string;
  const beds: GitBed[] = [];
  let shared: GitBed;

  before(async function () {
    // preprod rewrites lib/ (a read-only lib/ stops the checkout half-way) and adds a file larger
    // than the limit that compresses to almost nothing, so the fetch fits and the checkout does not.
    shared = await createGitBed({ extraFiles: 200 });
    beds.push(shared);
    const files: Record<string, string> = { 'assets/big.txt': 'flux '.repeat((2 * FILE_SIZE_LIMIT) / 5) };
    for (let i = 0; i < 200; i += 1) files[`lib/dir${i % 32}/file${i}.js`] = `module.exports = ${i} + 1; // preprod\n`;
    await shared.commitTo('preprod', files, 'Preprod rewrites lib/ and ships a large asset');
    shimPath = path.join(shared.dir, 'shim');
    await fs.mkdir(shimPath);
    const git = findOnPath('git');
    if (/['\n]/.test(git)) throw new Error(`Cannot quote the git path ${git} in the shim.`);
    await fs.writeFile(
      path.join(shimPath, 'git'),
      `#!/bin/sh\nexec '${findOnPath('env')}' --ignore-signal=XFSZ '${git}' "$@"\n`,
      { mode: 0o755 },
    );
  });
  after(async function () {
    await Promise.all(beds.map((bed) => bed.cleanup()));
  });

  for (const c of cases) {
    it(
      `${c.name}: the boot returns, tells where the checkout is, and the next boot finishes the ` + `switch`,
      async function () {
        let bed = shared;
        if (c.afterClone) {
          bed = await createGitBed({ extraFiles: 200 });
          beds.push(bed);
        }
        const dir = await bed.cloneNode();
        if (c.afterClone) await bed.commitTo('preprod', c.afterClone, 'Preprod adds objects the node does not have');
        const tips = { master: await bed.masterTip(), preprod: await bed.preprodTip() };
        await fs.mkdir(path.join(dir, 'node_modules', 'kept'), { recursive: true });
        await fs.writeFile(
          path.join(dir, 'node_modules', 'kept', 'index.js'),
          'module.exports = "installed before";\n',
        );
        await fs.writeFile(path.join(dir, 'debug.log'), 'a FluxOS log line\n');
        const ignored: Record<string, string | null> = {};
        for (const file of ['config/userconfig.js', 'node_modules/kept/index.js', 'debug.log'])
          ignored[file] = await sha256(path.join(dir, file));
        const args: BootChildArgs = {
          repoDir: dir,
          storeFile: path.join(bed.dir, `${path.basename(dir)}-state.json`),
          markHealthy: true,
          preProd: {
            remote: bed.upstream,
            probability: 1,
            fetchTimeoutMs: 5000,
            bootDeadlineMs: BOOT_DEADLINE_MS,
            installCommand: [process.execPath, FAKE_INSTALL, '20'],
          },
        };
        const assertUsable = async (why: () => string) => {
          const state = await checkoutState(bed, dir);
          expect(state.head, why()).to.be.oneOf([tips.master, tips.preprod]);
          expect(state.localMaster, why()).to.equal(tips.master);
          for (const [file, digest] of Object.entries(ignored)) {
            expect(await sha256(path.join(dir, file)), `${file} changed; ${why()}`).to.equal(digest);
          }
          return state;
        };

        const readOnly = (c.readOnly ?? []).map((p) => path.join(dir, p));
        const undo = isRoot ? async () => undefined : await withoutWriteBits(readOnly);
        const started = Date.now();
        let faulty: Awaited<ReturnType<typeof runBoot>>;
        try {
          faulty = await runBoot({ ...args, readOnlyPaths: isRoot ? readOnly : [] }, c.wrapper({ shimPath }));
        } finally {
          await undo();
        }
        const elapsed = Date.now() - started;
        const why = () =>
          `faulty boot (${elapsed} ms, exit ${faulty.exit.code ?? faulty.exit.signal}):\n${faulty.lines.join('\n')}`;
        expect(faulty.exit.code, why()).to.equal(0);
        const state = await assertUsable(why);
        expect(state.branch, why()).to.be.oneOf(c.branchAfterFault);
        // The result tells the truth about the checkout, whatever git managed before failing.
        expect(faulty.result.branch.after, why()).to.equal(state.branch);
        expect(faulty.result.commit, why()).to.equal(state.head);
        expect(faulty.result.mode, why()).to.equal(state.branch === 'preprod' ? 'preprod' : 'production');
        expect(faulty.result.reason, `the store is fine, it must not be blamed; ${why()}`).not.to.equal(
          'store-unavailable',
        );
        if (c.reason) expect(faulty.result.reason, why()).to.equal(c.reason);
        expect(faulty.result.message, why()).to.match(c.cause);
        const told = faulty.lines.filter((l) => /^LOG (warn|error) /.test(l) && c.cause.test(l));
        expect(told, `one log line must say what failed; ${why()}`).to.have.length(1);
        // bootChild escapes newlines inside a message as " \n ": a one-line message has none.
        expect(told[0], why()).not.to.include(' \\n ');

        // The fault is gone: a normal boot puts the checkout where it belongs, whole.
        const next = await runBoot(args);
        const nextWhy = () => `${why()}\nfollowing boot:\n${next.lines.join('\n')}`;
        expect(next.result.branch.after, nextWhy()).to.equal('preprod');
        const final = await assertUsable(nextWhy);
        expect(final.branch, nextWhy()).to.equal('preprod');
        expect(final.head, nextWhy()).to.equal(tips.preprod);
        expect(final.status, `git status must be clean apart from ignored files; ${nextWhy()}`).to.equal('');
        expect(final.gitLocks, nextWhy()).to.deep.equal([]);
        const installed = await fs.readFile(path.join(dir, INSTALLED_FILE), 'utf8').catch(() => '{}');
        expect(
          (JSON.parse(installed) as { lockSha256?: string }).lockSha256,
          `the install of the new package-lock.json must have run; ${nextWhy()}`,
        ).to.equal(await sha256(path.join(dir, 'package-lock.json')));
      },
    );
  }
});
