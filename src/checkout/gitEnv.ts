/**
 * The environment of every git process and of the dependency install
 * (docs/design.md §4): the host's, minus
 * - the variables that point git at another repository (GIT_DIR,
 *   GIT_WORK_TREE, GIT_INDEX_FILE, ...: a FluxOS started from a git hook must
 *   still act on its own checkout);
 * - those simple-git refuses to run with (EDITOR, PAGER, GIT_SSH_COMMAND,
 *   GIT_ASKPASS, GIT_EXTERNAL_DIFF, ...: none is needed by a non-interactive
 *   https fetch, and each can run a command of the environment's choosing);
 * - GIT_CONFIG_* (GIT_CONFIG_KEY_n/VALUE_n, GIT_CONFIG_PARAMETERS inject
 *   config as `-c` would);
 * - npm_config_* and the npm_package_*, npm_lifecycle_* variables an outer
 *   `npm start` sets: the install must use npm's own configuration and the
 *   flags it is given, not the ones a parent npm run happened to have;
 * plus GIT_TERMINAL_PROMPT=0, so a remote asking for credentials fails at
 * once instead of waiting for a terminal. Pure.
 */

/** Variables that make git act on another repository than the one we were given. */
const REPOSITORY_LOCATION_ENV = new Set([
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
]);

/** Variables simple-git's guard rejects (lower-cased, as it compares them). */
const SIMPLE_GIT_BLOCKED_ENV = new Set([
  'editor',
  'pager',
  'prefix',
  'ssh_askpass',
  'git_askpass',
  'git_config',
  'git_config_global',
  'git_config_system',
  'git_config_count',
  'git_editor',
  'git_exec_path',
  'git_external_diff',
  'git_pager',
  'git_proxy_command',
  'git_sequence_editor',
  'git_ssh',
  'git_ssh_command',
  'git_template_dir',
]);

const DROPPED_PREFIXES = ['git_config_', 'npm_config_', 'npm_package_', 'npm_lifecycle_'];

function dropped(key: string): boolean {
  const lower = key.toLowerCase();
  if (REPOSITORY_LOCATION_ENV.has(key.toUpperCase()) || SIMPLE_GIT_BLOCKED_ENV.has(lower)) return true;
  return DROPPED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** The filtered environment (see the module comment), for git and for the install alike. */
export function filteredEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !dropped(key)) env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  return env;
}

/** The environment of every git process: filteredEnv(). The name git's callers have always used. */
export const gitEnvironment = filteredEnv;
