// `import = require` keeps the module object itself (no __importStar copy), so the patch is seen by everyone.
import childProcess = require('node:child_process');

/**
 * Counts git processes independently of the repository's onGitSpawn hook:
 * wraps `child_process.spawn`, which simple-git and repository.ts both look
 * up on the module at call time. Returns a reader and an uninstall.
 */
export function countGitSpawns(): { take: () => string[]; uninstall: () => void } {
  const original = childProcess.spawn;
  let seen: string[] = [];
  const wrapped = function (this: unknown, command: string, ...rest: unknown[]) {
    const args = Array.isArray(rest[0]) ? (rest[0] as unknown[]).map(String) : [];
    if (command === 'git' || command.endsWith('/git')) seen.push(args.join(' '));
    return (original as (...a: unknown[]) => childProcess.ChildProcess).call(this, command, ...rest);
  };
  (childProcess as { spawn: unknown }).spawn = wrapped;
  return {
    take: () => {
      const out = seen;
      seen = [];
      return out;
    },
    uninstall: () => {
      (childProcess as { spawn: unknown }).spawn = original;
    },
  };
}
