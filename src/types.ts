/** Types shared across the package. Each settings field documents its default. */

export type Mode = 'preprod' | 'production' | 'skipped';

/** Why a boot ended the way it did: one record, in cohort/reasons.ts. */
export { REASON_CODES, type ReasonCode } from './cohort/reasons';

export type RestartStrategy = 'none' | 'nodemon' | 'exit' | 'auto';

/** The validated `preProd` settings. */
export interface PreProdSettings {
  /** Share of nodes on the preprod branch, 0..1. 0 is the kill switch. Default 0.07. */
  probability: number;
  /** Days a cohort draw stays valid before it is drawn anew. Default 30. */
  daysToNextEval: number;
  /** The preprod branch name. Default 'preprod'. */
  branch: string;
  /** The production branch name. Default 'master'. */
  productionBranch: string;
  /** Fetch URL (or local path) of the upstream the node must track. Default 'https://github.com/RunOnFlux/flux.git'. */
  remote: string;
  /** How far in the future a stored rolledAt may be (clock skew) before it is drawn anew, in minutes. Default 10. */
  clockSkewMinutes: number;
  /** Unhealthy preprod boots in a row before falling back to production. Default 3. */
  maxUnhealthyBoots: number;
  /** In-process: mark the boot healthy after this many ms if the process is still up. Default 600000 (10 min). */
  healthyAfterMs: number;
  /** Overall deadline of runAtBoot(), in ms. Default 15000. */
  bootDeadlineMs: number;
  /** Deadline of one git fetch, in ms. Default 8000. */
  fetchTimeoutMs: number;
  /**
   * Command run (no shell) when a switch changes the dependency fields of package.json or a tracked
   * lockfile. Default ['npm','install','--omit=dev','--legacy-peer-deps'], as FluxOS's own updater.
   */
  installCommand: string[];
  /** Appended to installCommand on ArcaneOS (FLUXOS_PATH set). Default ['--cache', '/dat/usr/lib/npm']. */
  arcaneOsInstallArgs: string[];
  /** Deadline of the install command, in ms. Default 600000 (10 min). */
  installTimeoutMs: number;
  /** How to restart onto new code. Default 'auto' in-process ('none' for the CLI unless --restart). */
  restart: RestartStrategy;
  /** In-process: how long the boot waits for FluxOS's MongoDB connection (else no store), in ms. Default 5000. */
  storeWaitMs: number;
  /** A long-lived process on preprod checks every this many hours (±10%) that preprod has master's tip. Default 6. */
  recheckHours: number;
}

export interface Settings {
  preProd: PreProdSettings;
}

/** The flags of the operator's config/userconfig.js that this package reads. */
export interface UserFlags {
  /** `initial.development` truthy: a developer's node, never touched. */
  development: boolean;
  /** `initial.disablePreProd`: true/false when the key is present, undefined when absent. */
  disablePreProd: boolean | undefined;
}

/** A stored document as the state store returns it: plain fields, dates as Date. */
export type StoredDocument = Record<string, unknown>;

/** Store key of the cohort record. */
export const COHORT_KEY = 'isPreProd';
/** Store key of the remembered opt-out. */
export const OPT_OUT_KEY = 'preProdOptOut';
/** Store key of the crash-loop counter. */
export const BOOT_HEALTH_KEY = 'preProdBootHealth';

/** The cohort record stored under key 'isPreProd' (docs/design.md §3). */
export interface CohortRecord {
  key: 'isPreProd';
  /** The outcome at last evaluation. */
  value: boolean;
  /** Uniform draw in [0,1); preprod iff draw < probability. */
  draw: number;
  rolledAt: Date;
  /** The probability in force when `value` was computed. */
  probability: number;
  updatedAt: Date;
  /**
   * Set when a boot whose clock was behind re-dated the record (docs/design.md §3 rule 3): the latest
   * date the record had before. A later boot whose clock is back within that period restores it.
   */
  redatedFrom?: Date;
}

/**
 * What the seed implementation stored: `{ key: 'isPreProd', value }` with no
 * draw. `_idTime` is the creation time of its MongoDB ObjectId, which the
 * MongoDB store exposes because the seed dated its records by it.
 */
export interface LegacyCohortRecord {
  key: 'isPreProd';
  value: boolean;
  _idTime?: Date;
}

/** The remembered opt-out (key 'preProdOptOut'): survives userconfig rewrites that drop unknown keys. */
export interface OptOutRecord {
  key: 'preProdOptOut';
  optedOut: boolean;
  updatedAt: Date;
}
