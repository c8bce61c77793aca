/**
 * The package's error tree. Every error carries a machine-readable `kind`
 * (it becomes a reason code, an HTTP status or a CLI exit code) and a message
 * that is one human sentence. The original error stays reachable as `cause`.
 */

export type ErrorKind =
  /** A CLI argument is missing, unknown or malformed. Exit code 2. */
  | 'usage'
  /** A settings value (config/default.json, --config, host object) is invalid. Exit code 2. */
  | 'config-invalid'
  /** The operator's userconfig.js cannot be loaded or has wrong types. Exit code 2. */
  | 'userconfig-invalid'
  /** The state store cannot be reached, or did not answer in time. */
  | 'store-unavailable'
  /** The state store holds data that cannot be read (e.g. a torn or hand-edited JSON file). */
  | 'store-corrupt'
  /** A git command failed for a reason other than the ones below. */
  | 'git-failed'
  /** git refuses the checkout directory (not a checkout, "dubious ownership"). Exit code 1. */
  | 'repo-unreadable'
  /** Fetching from the configured remote failed or timed out. */
  | 'fetch-failed'
  /** The dependency install after a switch failed or timed out. */
  | 'install-failed'
  /** An operation ran past its deadline. */
  | 'timeout';

const EXIT_CODES: Record<ErrorKind, number> = {
  usage: 2,
  'config-invalid': 2,
  'userconfig-invalid': 2,
  'store-unavailable': 1,
  'store-corrupt': 1,
  'git-failed': 1,
  'repo-unreadable': 1,
  'fetch-failed': 1,
  'install-failed': 1,
  timeout: 1,
};

export class PreprodError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PreprodError';
    this.kind = kind;
  }

  /** The CLI exit code for this error: 2 for bad usage or config, 1 otherwise. */
  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

export function isPreprodError(error: unknown, kind?: ErrorKind): error is PreprodError {
  return error instanceof PreprodError && (kind === undefined || error.kind === kind);
}

/**
 * A one-line description of any thrown value, for logs and for wrapping into
 * another sentence: first line only, without its closing period.
 */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message.split('\n')[0] || error.name : String(error).split('\n')[0];
  return text.replace(/\.+$/, '');
}
