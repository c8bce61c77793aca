import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describeError, PreprodError } from '../errors';
import type { Logger } from '../logger';
import type { LocalGit } from './localGit';
import { type CheckoutOwner, giveToOwner } from './repoAccess';
import {
  backupIdFor,
  backupsToPrune,
  collisionCandidates,
  type DiffEntry,
  parseStatusZ,
  pathPrefixes,
  shellQuote,
  shortList,
  trackedInCurrent,
} from './localWork';

/**
 * Before the forced checkout (docs/design.md §4): save what it would
 * overwrite, and nothing else. Local changes to tracked files become a stash
 * commit kept under a backup ref (`git stash create`: the work tree is not
 * touched, and untracked files are not swept into it); untracked or ignored
 * files at paths the target commit writes are moved into a folder under the
 * git dir; local commits of the branch the checkout resets are kept under a
 * backup ref. Each is logged with the command that restores it. A node with
 * nothing local gets no backup, no folder and no log line.
 */

export const BACKUP_REF_ROOT = 'refs/fluxos-preprod/backups';
/** Folder of the git dir that holds one folder per backup. */
export const BACKUP_FOLDER = path.join('fluxos-preprod', 'backups');
/** Moved files get a log line each up to this many; the rest are named by their folder. */
const MAX_FILE_LINES = 20;
/** stash create needs an identity; a FluxOS node usually has none configured. */
const IDENTITY = ['-c', 'user.name=fluxos-preprod', '-c', 'user.email=fluxos-preprod@localhost'];

export interface SaveContext {
  dir: string;
  gitDir: string;
  git: LocalGit;
  logger: Logger;
  /** The checkout's owner when git runs as them: what we create in the git dir is handed to them. */
  owner?: CheckoutOwner | null;
  now?: () => Date;
}

export interface SaveRequest {
  /** The branch the checkout creates or resets. */
  branch: string;
  remote: string;
  /** The commit it checks out. */
  to: string;
  /** `git diff --name-status` between the current commit and `to`. */
  diff: readonly DiffEntry[];
  /**
   * Paths an earlier checkout that stopped part way (HEAD unmoved) was writing: their content is that
   * checkout's, and what the operator had there is in that switch's backup. Not saved again.
   */
  checkoutWrites?: ReadonlySet<string>;
}

interface Backup {
  id: string;
  folder: string;
  restore: string[];
}

/** Save what the checkout to `request.to` would overwrite; returns the backup's id, null when nothing was local. */
export async function saveLocalWork(ctx: SaveContext, request: SaveRequest): Promise<string | null> {
  // --no-optional-locks: status would otherwise refresh the index, taking index.lock.
  const statusArgs = ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=no', '--no-renames'];
  const status = parseStatusZ((await ctx.git.run(statusArgs)).stdout);
  const own = request.checkoutWrites ?? new Set<string>();
  const candidates = collisionCandidates(request.diff, status).filter((file) => !own.has(file));
  const collisions = await findCollisions(ctx.dir, candidates, trackedInCurrent(request.diff));
  // Only changes of the operator's call for a backup (the stash still holds every change: it cannot pick).
  const operatorChanged = status.changed.filter((file) => !own.has(file));
  if (own.size > 0 && status.changed.length > operatorChanged.length) {
    const skipped = status.changed.length - operatorChanged.length;
    ctx.logger.info(`${skipped} changed files are an earlier, cut-short checkout's own writes: not saved again.`);
  }
  // Commits of the branch the checkout resets that the target lacks; a missing branch has none.
  const branchRef = `refs/heads/${request.branch}`;
  const revList = ['rev-list', '--ignore-missing', '--max-count=1', branchRef, `^${request.to}`, '--'];
  const hasCommits = (await ctx.git.run(revList)).stdout.trim() !== '';
  if (operatorChanged.length === 0 && collisions.length === 0 && !hasCommits) return null;

  const backup = await createBackup(ctx);
  if (operatorChanged.length > 0) await saveChanges(ctx, backup, request, operatorChanged);
  if (hasCommits) await keepCommits(ctx, backup, request);
  if (collisions.length > 0) await moveAside(ctx, backup, request, collisions);
  await writeManifest(backup, request);
  await handOver(ctx, backup);
  await pruneBackups(ctx).catch((error: unknown) => {
    ctx.logger.warn(`Could not prune old backups: ${describeError(error)}.`);
  });
  return backup.id;
}

/**
 * Untracked or ignored paths the checkout would overwrite: a candidate path
 * that exists, or an existing file (not folder) where the candidate needs a
 * folder, unless that file is tracked now (git itself handles those).
 */
async function findCollisions(
  dir: string,
  candidates: readonly string[],
  tracked: ReadonlySet<string>,
): Promise<string[]> {
  const found = new Set<string>();
  for (const candidate of candidates) {
    for (const prefix of pathPrefixes(candidate)) {
      const stat = await fs.lstat(path.join(dir, prefix)).catch(() => null);
      if (stat === null) break;
      if (prefix === candidate || !stat.isDirectory()) {
        if (prefix === candidate || !tracked.has(prefix)) found.add(prefix);
        break;
      }
    }
  }
  return [...found];
}

async function createBackup(ctx: SaveContext): Promise<Backup> {
  const root = path.join(ctx.gitDir, BACKUP_FOLDER);
  await fs.mkdir(root, { recursive: true, mode: 0o700 });
  const id = backupIdFor((ctx.now ?? (() => new Date()))(), await fs.readdir(root));
  const folder = path.join(root, id);
  await fs.mkdir(folder, { mode: 0o700 });
  return { id, folder, restore: [] };
}

function note(ctx: SaveContext, backup: Backup, what: string, restore: string): void {
  backup.restore.push(restore);
  ctx.logger.warn(`${what}; restore with: ${restore}`);
}

async function saveChanges(ctx: SaveContext, backup: Backup, request: SaveRequest, changed: string[]): Promise<void> {
  const message = `fluxos-preprod: local changes before switching to ${request.branch}`;
  const { stdout } = await ctx.git.run([...IDENTITY, 'stash', 'create', message]);
  const stash = stdout.trim();
  if (stash === '') return;
  const ref = `${BACKUP_REF_ROOT}/${backup.id}/changes`;
  await ctx.git.run(['update-ref', '-m', message, ref, stash]);
  const files = `${shortList(changed)} (${changed.length} file${changed.length === 1 ? '' : 's'})`;
  const what = `Saved local changes to ${files} as stash commit ${stash} (ref ${ref}) before the switch`;
  note(ctx, backup, what, `git -C ${shellQuote(ctx.dir)} stash apply ${stash}`);
}

async function keepCommits(ctx: SaveContext, backup: Backup, request: SaveRequest): Promise<void> {
  const { stdout } = await ctx.git.run(['rev-parse', '--verify', `refs/heads/${request.branch}^{commit}`]);
  const tip = stdout.trim();
  const ref = `${BACKUP_REF_ROOT}/${backup.id}/branch/${request.branch}`;
  await ctx.git.run(['update-ref', '-m', `fluxos-preprod: ${request.branch} before it was reset`, ref, tip]);
  const upstream = `${request.remote}/${request.branch}`;
  const what = `Kept local commits of ${request.branch} that ${upstream} lacks as ${ref} (${tip})`;
  note(ctx, backup, what, `git -C ${shellQuote(ctx.dir)} branch ${request.branch}-local-${backup.id} ${tip}`);
}

async function moveAside(ctx: SaveContext, backup: Backup, request: SaveRequest, paths: string[]): Promise<void> {
  const filesRoot = path.join(backup.folder, 'files');
  for (const [index, file] of paths.entries()) {
    const source = path.join(ctx.dir, file);
    const target = path.join(filesRoot, file);
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await moveFile(source, target);
    const restore = `rm -rf -- ${shellQuote(source)} && cp -a -- ${shellQuote(target)} ${shellQuote(source)}`;
    const what = `Moved ${file} aside to ${target} (the switch to ${request.branch} writes that path)`;
    if (index < MAX_FILE_LINES) note(ctx, backup, what, restore);
    else backup.restore.push(restore);
  }
  if (paths.length > MAX_FILE_LINES) {
    const rest = paths.length - MAX_FILE_LINES;
    const restore = `cp -a -- ${shellQuote(`${filesRoot}/.`)} ${shellQuote(`${ctx.dir}/`)}`;
    ctx.logger.warn(`Moved ${rest} more paths aside to ${filesRoot}; restore all with: ${restore}`);
  }
}

async function moveFile(source: string, target: string): Promise<void> {
  try {
    await fs.rename(source, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') {
      const why = describeError(error);
      throw new PreprodError('git-failed', `Cannot move ${source} aside before the switch: ${why}.`, { cause: error });
    }
    // The git dir is on another file system (a linked worktree): copy, then remove.
    await fs.cp(source, target, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    await fs.rm(source, { recursive: true, force: true });
  }
}

/** Our folders (and the manifest) to the checkout's owner, so a later git as the owner can prune them. */
async function handOver(ctx: SaveContext, backup: Backup): Promise<void> {
  const owner = ctx.owner ?? null;
  if (owner === null) return;
  const root = path.join(ctx.gitDir, BACKUP_FOLDER);
  const ours = [path.dirname(root), root, backup.folder, path.join(backup.folder, 'manifest.json')];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory()) continue;
      const full = path.join(dir, entry.name);
      if ((await fs.lstat(full)).uid === 0) ours.push(full);
      await walk(full);
    }
  };
  await walk(backup.folder);
  await giveToOwner(owner, ours);
}

async function writeManifest(backup: Backup, request: SaveRequest): Promise<void> {
  const manifest = { id: backup.id, branch: request.branch, to: request.to, restore: backup.restore };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  await fs.writeFile(path.join(backup.folder, 'manifest.json'), text, { mode: 0o600 });
}

/** Drop backups beyond the last 10 that are also older than 90 days (localWork.ts backupsToPrune). */
async function pruneBackups(ctx: SaveContext): Promise<void> {
  const root = path.join(ctx.gitDir, BACKUP_FOLDER);
  const old = backupsToPrune(await fs.readdir(root), (ctx.now ?? (() => new Date()))());
  for (const id of old) {
    const { stdout } = await ctx.git.run(['for-each-ref', '--format=%(refname)', `${BACKUP_REF_ROOT}/${id}/`]);
    for (const ref of stdout.split('\n').filter((line) => line.trim() !== '')) {
      await ctx.git.run(['update-ref', '-d', ref.trim()]);
    }
    await fs.rm(path.join(root, id), { recursive: true, force: true });
    ctx.logger.info(`Removed backup ${id}: older than 90 days and not among the last 10.`);
  }
}
