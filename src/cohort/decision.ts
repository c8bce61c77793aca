/**
 * What the boot decision (decide.ts, docs/design.md §3) says: the node's mode, reason and target branch, and
 * what to persist. Its own file so the log line (describe.ts) reads it without importing the rules.
 */
import type { ReasonCode } from '../types';
import type { CohortInfo } from './draw';
import type { HealthInfo } from './health';
import type { BootHealthRecord, StoreWrite } from './records';

export interface DecisionFields {
  /** Null when the cohort was not consulted (development node, opt-out). */
  cohort: CohortInfo | null;
  optedOut: boolean;
  /** The crash-loop counter of this cohort period after this boot; null unless the cohort selected the node. */
  health: HealthInfo | null;
  /**
   * What to persist, in order, when the node runs the target branch's code at
   * this boot; landing.ts derives the writes of every other landing. Empty when
   * nothing changed.
   */
  writes: StoreWrite[];
  /** The crash-loop counter after counting the previous boot; null when the cohort was not consulted. */
  counter: { record: BootHealthRecord; changed: boolean } | null;
  /** Opt-out and the kill switch need no store (rule 7): such a decision moves the node even if nothing is saved. */
  needsStore: boolean;
  /** Said in the log line: an opt-out for this boot only, a store that could not be read. */
  note?: string;
}

/** A developer's node: never moved, so it has no target branch. */
export interface SkippedDecision extends DecisionFields {
  mode: 'skipped';
  reason: 'development';
  targetBranch: null;
}

/** A node the package puts on a branch. */
export interface BranchDecision extends DecisionFields {
  mode: 'preprod' | 'production';
  reason: ReasonCode;
  /** The branch the checkout should be on. */
  targetBranch: string;
}

export type Decision = SkippedDecision | BranchDecision;
