import { readFileSync, statSync } from 'node:fs';
import { lchown } from 'node:fs/promises';
import { PreprodError } from '../errors';
import { gitMessage, gitRefusal } from './gitOutput';
import { GitExit } from './localGit';

/**
 * A checkout git will not read (docs/design.md §4, reason
 * `repo-unreadable`): the error names git's own words and the fix. Null when
 * `error` is some other failure.
 */
export function unreadableCheckout(dir: string, error: unknown): PreprodError | null {
  const cause = error instanceof PreprodError ? error.cause : error;
  if (error instanceof PreprodError && error.message === `${dir} is not a directory.`) {
    return new PreprodError(
      'repo-unreadable',
      `${dir} is not a directory: point the boot at the FluxOS checkout (the directory FluxOS was cloned into).`,
      { cause: error },
    );
  }
  if (!(cause instanceof GitExit)) return null;
  const words = gitMessage(cause.stderr);
  switch (gitRefusal(cause.stderr)) {
    case 'dubious-ownership':
      return new PreprodError(
        'repo-unreadable',
        `git refuses ${dir} (${words}): run \`git config --global --add safe.directory ${dir}\` ` +
          'as the user that runs FluxOS, or run FluxOS as the owner of the checkout.',
        { cause: error },
      );
    case 'not-a-repository':
      return new PreprodError(
        'repo-unreadable',
        `${dir} is not a git checkout (${words}): point the boot at the FluxOS checkout ` +
          '(the directory FluxOS was cloned into).',
        { cause: error },
      );
    default:
      return null;
  }
}

/** The user git runs as when we are root and the checkout belongs to someone else. */
export interface CheckoutOwner {
  uid: number;
  gid: number;
  /** Their home directory from the passwd file; null when it has no entry. */
  home: string | null;
}

/** The home directory of `uid` in passwd-format text; null when there is no entry. Pure. */
export function passwdHome(passwd: string, uid: number): string | null {
  for (const line of passwd.split(/\r?\n/)) {
    const fields = line.split(':');
    if (fields.length >= 7 && fields[2] === String(uid) && fields[5] !== '') return fields[5];
  }
  return null;
}

/**
 * Who git must run as for the checkout at `dir` (docs/design.md §4): its
 * owner, when we run as root and it is not root's; null otherwise (git runs
 * as we do). So a root FluxOS leaves nothing root-owned in `.git/` that a
 * later git as the owner could not unlink. Synchronous and never throws: it
 * runs when the repository is opened.
 */
export function checkoutOwner(dir: string, passwdFile = '/etc/passwd'): CheckoutOwner | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const { uid, gid } = statSync(dir);
    if (uid === 0) return null;
    const passwd = (() => {
      try {
        return readFileSync(passwdFile, 'utf8');
      } catch {
        return '';
      }
    })();
    return { uid, gid, home: passwdHome(passwd, uid) };
  } catch {
    return null;
  }
}

/** The environment for git run as `owner`: their HOME (root's config would be unreadable to them). */
export function ownerEnv(env: Record<string, string>, owner: CheckoutOwner | null): Record<string, string> {
  if (owner === null) return env;
  const result = { ...env };
  delete result.XDG_CONFIG_HOME;
  if (owner.home === null) delete result.HOME;
  else result.HOME = owner.home;
  return result;
}

/** Hands paths we created in the git dir to the checkout's owner; a no-op when git runs as we do. */
export async function giveToOwner(owner: CheckoutOwner | null, paths: readonly string[]): Promise<void> {
  if (owner === null) return;
  for (const file of paths) await lchown(file, owner.uid, owner.gid);
}
