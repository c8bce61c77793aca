/** Versions, the reasons a simulated node is silent (bits), and event types of the fleet model. */

/** Versions: master, the release already on preprod, the one pushed, and a follow-up (fix or hotfix). */
export const VERSIONS = ['8.17.0', '8.18.0', '8.19.0', '8.20.0'] as const;
export const COMMITS = ['17c0ffee17c0ffee', '18c0ffee18c0ffee', '19c0ffee19c0ffee', '20c0ffee20c0ffee'];
/** A same-version hotfix: 8.19.0 on another commit. */
export const HOTFIX_COMMIT = '19f1x0ff19f1x0ff';
export const MASTER = 0;
export const OLD = 1;
export const RELEASE = 2;
export const FOLLOW_UP = 3;

// Why a node does not answer; any set bit makes it silent.
export const OUTAGE = 1;
export const GONE = 2;
export const DARKENED = 4;
export const CRASHING = 8;
export const PROVIDER = 16;
export const NIGHT = 32;
export const RESTARTING = 64;
/** Down in a way that stops a boot (a crash-looping node still boots). */
export const NO_BOOT = OUTAGE | GONE | DARKENED | PROVIDER | NIGHT | RESTARTING;

// Event types.
export const RESTART = 0;
export const UPDATE = 1;
export const CRASH_REBOOT = 2;
export const OUTAGE_START = 3;
export const OUTAGE_END = 4;
export const LEAVE = 5;
export const DARKEN = 6;
export const OPT_OUT = 7;
export const OPT_OUT_BOOT = 8;
export const UPDATE_NEXT = 9;
export const DOWN = 10;
export const UP = 11;
export const UPDATE_BOOT = 12;
