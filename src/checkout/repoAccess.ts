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
