import { statSync } from 'node:fs';
import { GitError, GitPluginError, simpleGit, type SimpleGit } from 'simple-git';
import { PreprodError, describeError } from '../errors';
import type { Logger } from '../logger';
import { gitMessage } from './gitOutput';

/**
 * Local git commands (no network) through simple-git, with its
 * unsafe-operation guards on (no `allowUnsafe*` anywhere). Network commands
 * do not come here: they run in their own process group (os/spawnGroup.ts).
 */

/** A git exit status other than 0, kept as a GitError so simple-git passes it through unchanged. */
export class GitExit extends GitError {
  constructor(
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(undefined, stderr.trim() || `git exited with code ${exitCode}`);
  }
}

/** One clause for an error sentence: git's own line for a git failure, else the error's message. */
export function shortError(error: unknown): string {
  if (error instanceof GitExit) return gitMessage(error.stderr) || `exit code ${error.exitCode}`;
  return describeError(error).replace(/[.\s]+$/, '');
}

export interface LocalGitOptions {
  dir: string;
  env: Record<string, string>;
  logger: Logger;
  /** Called once per git process spawned, with its arguments. */
  onGitSpawn?: (args: readonly string[]) => void;
  /** Run git as this user and group (the checkout's owner when we are root). */
  uid?: number;
  gid?: number;
}

export class LocalGit {
  private git: SimpleGit | null = null;

  constructor(private readonly options: LocalGitOptions) {}

  /** Run a git command; exit codes in `allowedCodes` come back as results, anything else throws git-failed. */
  async run(args: string[], allowedCodes: number[] = []): Promise<{ code: number; stdout: string }> {
    // No line per command (a boot runs dozens): the command is logged only when it fails (docs/design.md §5).
    try {
      const stdout = await this.simpleGit().raw(args);
      return { code: 0, stdout };
    } catch (error) {
      if (error instanceof GitExit && allowedCodes.includes(error.exitCode)) {
        return { code: error.exitCode, stdout: '' };
      }
      this.options.logger.debug(`git ${args.join(' ')} failed: ${shortError(error)}`);
      if (error instanceof PreprodError) throw error;
      throw new PreprodError('git-failed', `git ${args[0]} failed in ${this.options.dir}: ${shortError(error)}.`, {
        cause: error,
      });
    }
  }

  private simpleGit(): SimpleGit {
    if (this.git) return this.git;
    const { dir, uid, gid } = this.options;
    if (!isDirectory(dir)) throw new PreprodError('git-failed', `${dir} is not a directory.`);
    const git = simpleGit({
      baseDir: dir,
      maxConcurrentProcesses: 2,
      ...(uid !== undefined || gid !== undefined ? { spawnOptions: { uid, gid } } : {}),
      // simple-git 4 strips or refuses every GIT_* variable not named here; gitEnvironment() already chose them.
      allowEnvironment: Object.keys(this.options.env),
      // simple-git takes a non-zero exit with empty stderr for success, and one with stderr becomes a
      // GitError without the code (simple-git 4: a subclass for "fatal:" output): all become GitExit.
      // Its plugin errors (unsafe arguments, environment guard) pass through.
      errors: (error, result) => {
        if (error instanceof GitPluginError) return error;
        if (result.exitCode === 0) return undefined;
        return new GitExit(result.exitCode, Buffer.concat(result.stdErr).toString('utf8'));
      },
    }).env(this.options.env);
    const onSpawn = this.options.onGitSpawn;
    if (onSpawn) git.outputHandler((_command, _stdout, _stderr, args) => onSpawn(args));
    this.git = git;
    return git;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
