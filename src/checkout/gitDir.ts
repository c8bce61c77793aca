import { realpathSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseRepoConfig, type RepoConfig } from './gitConfigFile';
import { filteredEnv } from './gitEnv';
import { parseGitDirPointer } from './gitOutput';
import type { LocalGit } from './localGit';

/**
 * The absolute git dir of the checkout at `dir`, from `.git` (a directory, or
 * a `gitdir:` file as in linked worktrees) without spawning git when
 * possible; git is asked only for unusual layouts.
 */
export async function findGitDir(dir: string, git: LocalGit): Promise<string> {
  const found = await gitDirOnDisk(dir);
  if (found !== null) return found;
  // Not the usual layout; ask git.
  const { stdout } = await git.run(['rev-parse', '--absolute-git-dir']);
  return stdout.trim();
}

/** The git dir from `.git` alone (no git process); null for any other layout. */
export async function gitDirOnDisk(dir: string): Promise<string | null> {
  const dotGit = path.join(dir, '.git');
  try {
    const stat = await fs.stat(dotGit);
    if (stat.isDirectory()) return await fs.realpath(dotGit);
    const pointer = parseGitDirPointer(await fs.readFile(dotGit, 'utf8'));
    return pointer === null ? null : await fs.realpath(path.resolve(dir, pointer));
  } catch {
    return null;
  }
}

/**
 * The repository's config file as parsed by gitConfigFile.ts, read without
 * git: `<git dir>/config`, or the common dir's for a linked worktree. Null
 * when it cannot be found or read.
 */
export async function readRepoConfig(dir: string): Promise<RepoConfig | null> {
  const gitDir = await gitDirOnDisk(dir);
  if (gitDir === null) return null;
  try {
    return parseRepoConfig(await fs.readFile(path.join(await commonDirOf(gitDir), 'config'), 'utf8'));
  } catch {
    return null;
  }
}

/** The directory shared by every worktree (config, refs): `commondir` of a linked worktree, else the git dir. */
function commonDirOf(gitDir: string): Promise<string> {
  return fs.readFile(path.join(gitDir, 'commondir'), 'utf8').then(
    (text) => path.resolve(gitDir, text.trim()),
    () => gitDir,
  );
}

const COMMIT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The commit a full ref name points to, read from the files (a loose ref, else
 * packed-refs), without a git process; null when the files do not say (a
 * symbolic ref, another ref storage, no such ref). Only a shortcut for the
 * common case: a caller treats null as "ask git".
 */
export async function readRefOnDisk(dir: string, ref: string): Promise<string | null> {
  const gitDir = await gitDirOnDisk(dir);
  if (gitDir === null || !ref.startsWith('refs/') || ref.includes('..')) return null;
  const common = await commonDirOf(gitDir);
  const loose = await fs.readFile(path.join(common, ref), 'utf8').catch(() => null);
  if (loose !== null) return COMMIT_ID.test(loose.trim()) ? loose.trim() : null;
  const packed = await fs.readFile(path.join(common, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [id, name] = line.trim().split(' ');
    if (name === ref && COMMIT_ID.test(id)) return id;
  }
  return null;
}

/** The real path of `p`, or `p` itself when it cannot be resolved. */
export async function realpathOr(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch {
    return p;
  }
}

/**
 * filteredEnv() plus a ceiling: git also looks for a repository in the
 * parent directories, and a repoDir that is a sub-directory of another
 * checkout (or of a home directory under git) must not act on that checkout.
 * git compares real paths here, so the ceiling is one too.
 */
export function gitProcessEnv(dir: string): Record<string, string> {
  const env = filteredEnv();
  // git's messages in English: gitOutput.ts recognises a refusal by its words.
  env.LC_ALL = 'C';
  delete env.LANGUAGE;
  const ceiling = path.dirname(realpathOrSelf(dir));
  const hostCeilings = env.GIT_CEILING_DIRECTORIES;
  env.GIT_CEILING_DIRECTORIES = hostCeilings ? `${hostCeilings}${path.delimiter}${ceiling}` : ceiling;
  return env;
}

function realpathOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
