import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { parseGitDirPointer } from './gitOutput';
import type { LocalGit } from './localGit';

/**
 * The absolute git dir of the checkout at `dir`, from `.git` (a directory, or
 * a `gitdir:` file as in linked worktrees) without spawning git when
 * possible; git is asked only for unusual layouts.
 */
export async function findGitDir(dir: string, git: LocalGit): Promise<string> {
  const dotGit = path.join(dir, '.git');
  try {
    const stat = await fs.stat(dotGit);
    if (stat.isDirectory()) return await fs.realpath(dotGit);
    const pointer = parseGitDirPointer(await fs.readFile(dotGit, 'utf8'));
    if (pointer !== null) return await fs.realpath(path.resolve(dir, pointer));
  } catch {
    // Not the usual layout; ask git.
  }
  const { stdout } = await git.run(['rev-parse', '--absolute-git-dir']);
  return stdout.trim();
}

/** The real path of `p`, or `p` itself when it cannot be resolved. */
export async function realpathOr(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch {
    return p;
  }
}
