/**
 * Where a boot is (docs/design.md §5), and what the boot deadline means there.
 * Pure: the phase carries everything the deadline needs to say where the node
 * was left, so nothing else is consulted when it fires.
 */
import type { Head } from '../checkout';
import type { BranchDecision } from '../cohort/decide';
import type { ReasonCode } from '../types';

/** The boot's phase, in order. Each step sets the next one as it begins. */
export type BootPhase =
  /** Reading userconfig, taking the boot lock, reading HEAD and the store. */
  | { name: 'inputs'; head: Head | null }
  /** Decided; looking for the remote and an unfinished switch. */
  | { name: 'plan'; head: Head | null; decision: BranchDecision }
  /** Fetching the managed branches and choosing preprod or production. */
  | { name: 'fetch'; head: Head; decision: BranchDecision }
  /** The forced checkout has begun. */
  | { name: 'switch'; head: Head; decision: BranchDecision }
  /** Switched; installing dependencies. */
  | { name: 'install'; head: Head; before: string | null; decision: BranchDecision; reason: ReasonCode }
  /** Switched; restarting onto the new code. */
  | { name: 'restart'; head: Head; before: string | null; decision: BranchDecision; reason: ReasonCode }
  | { name: 'done' };

export type PhaseName = BootPhase['name'];

/** What the boot reports when its deadline passes in `phase`. */
export interface DeadlineOutcome {
  reason: ReasonCode;
  /** The checkout already moved; what is left (install, restart) finishes in the background. */
  switched: boolean;
}

/**
 * The deadline's outcome in each phase. Before the checkout moves, the node
 * is left where it is, with the reason of the step that ran out of time; past
 * it the switch is committed and finishes in the background.
 */
export function deadlineOutcome(phase: BootPhase): DeadlineOutcome {
  switch (phase.name) {
    case 'inputs':
    case 'plan':
      return { reason: 'store-unavailable', switched: false };
    case 'fetch':
      return { reason: 'fetch-failed', switched: false };
    case 'switch':
      return { reason: phase.decision.reason, switched: false };
    case 'install':
    case 'restart':
      return { reason: phase.reason, switched: true };
    case 'done':
      return { reason: 'fetch-failed', switched: false };
  }
}

/** The checkout the deadline leaves behind, and the branch before the boot. */
export function phaseHead(phase: BootPhase): {
  head: Head | null;
  before: string | null;
  decision: BranchDecision | null;
} {
  switch (phase.name) {
    case 'inputs':
      return { head: phase.head, before: phase.head?.branch ?? null, decision: null };
    case 'plan':
    case 'fetch':
    case 'switch':
      return { head: phase.head, before: phase.head?.branch ?? null, decision: phase.decision };
    case 'install':
    case 'restart':
      return { head: phase.head, before: phase.before, decision: phase.decision };
    case 'done':
      return { head: null, before: null, decision: null };
  }
}
