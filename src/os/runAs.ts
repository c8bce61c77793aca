import { checkoutOwner, ownerEnv } from '../checkout/repoAccess';

/** How a child process that writes into a checkout is started: as whom, with which environment. */
export interface RunAs {
  uid?: number;
  gid?: number;
  env: Record<string, string>;
}

/**
 * Who a command that writes into the checkout at `dir` runs as (docs/design.md §4): its owner, with the
 * owner's HOME, when we are root and the checkout is not root's; otherwise us, with `env` unchanged. The
 * same rule git follows (checkout/repoAccess.ts), so a root FluxOS leaves nothing root-owned in the owner's
 * tree: not in `.git/`, and not in `node_modules/` or the package-lock an install writes. Never throws.
 */
export function runAsOwnerOf(dir: string, env: Record<string, string>): RunAs {
  const owner = checkoutOwner(dir);
  if (owner === null) return { env };
  return { uid: owner.uid, gid: owner.gid, env: ownerEnv(env, owner) };
}
