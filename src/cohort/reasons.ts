/**
 * The reason codes (docs/design.md §8): why a boot ended the way it did, the stable vocabulary of logs, CLI
 * JSON and /flux/info. Each code, its exit code and its meaning live here only: the type, the list, the exit
 * codes of `boot` and `status` and the table in docs/reference.md all come from this record (a unit test
 * checks the table). Adding a reason is one line below. Pure.
 *
 * Exit codes: 0 when the node is where its rules put it, 1 when something outside the node failed (the
 * output says what), 2 for bad config.
 */

export interface ReasonSpec {
  exit: 0 | 1 | 2;
  /** One line for operators; Markdown. */
  meaning: string;
}

export const REASONS = {
  development: { exit: 0, meaning: '`initial.development` is set: never touched' },
  disabled: { exit: 0, meaning: 'the operator opted out (`disablePreProd`), now or remembered' },
  selected: { exit: 0, meaning: 'the stored draw is below the probability: preprod' },
  'not-selected': { exit: 0, meaning: 'the draw is at or above the probability: production' },
  'crash-loop': { exit: 0, meaning: 'too many unhealthy preprod boots in a row: production until the next draw' },
  'unmanaged-branch': {
    exit: 0,
    meaning: 'another branch, a detached HEAD, or a managed name tracking another remote: left alone',
  },
  'remote-not-found': { exit: 0, meaning: 'no remote fetches from the configured upstream: left alone' },
  'fetch-failed': { exit: 1, meaning: 'the fetch failed or timed out: left where it was' },
  'preprod-unavailable': { exit: 0, meaning: "preprod is missing or lacks master's tip: production" },
  'store-unavailable': { exit: 1, meaning: 'the decision could not be read or stored in time: left where it was' },
  'switch-failed': { exit: 1, meaning: 'the checkout did not complete; the next boot finishes it' },
  'repo-unreadable': {
    exit: 1,
    meaning: 'git refuses the directory (not a checkout, "dubious ownership"); the message gives the fix',
  },
  'config-invalid': {
    exit: 2,
    meaning: 'in-process: the settings FluxOS passed are invalid: left alone (the CLI stops on a bad `--config` first)',
  },
  'boot-locked': {
    exit: 1,
    meaning: 'another boot of this checkout held the boot lock until the deadline: left where it was',
  },
  'internal-error': {
    exit: 1,
    meaning: 'a bug in the package stopped the boot: left where it was (the log line says what)',
  },
} as const satisfies Record<string, ReasonSpec>;

export type ReasonCode = keyof typeof REASONS;

/** Every reason code, in the record's order. */
export const REASON_CODES: readonly ReasonCode[] = Object.freeze(Object.keys(REASONS) as ReasonCode[]);

/** Exit code of `boot` and `status` for a reason; 1 for a code this version does not know. */
export function exitCodeForReason(reason: ReasonCode): 0 | 1 | 2 {
  return (REASONS as Record<string, ReasonSpec>)[reason]?.exit ?? 1;
}
