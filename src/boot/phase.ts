/**
 * Where a boot is (docs/design.md §5), and what the boot deadline means there.
 * Pure: the phase carries everything the deadline needs to say where the node
 * was left, so nothing else is consulted when it fires.
 */
import type { Head } from '../checkout';
import type { BranchDecision } from '../cohort/decide';
import type { ReasonCode } from '../types';

/** The boot's phase, in order. Each step sets its phase as it begins. */
export type BootPhase =
  /** Waiting for the boot lock (another boot of this checkout runs). */
  | { name: 'lock' }
  /** Reading HEAD, the store (waiting for it up to storeWaitMs) and the restart marker. */
  | { name: 'read'; head: Head | null }
  /** Decided; looking for the remote and an unfinished switch in the local checkout. */
  | { name: 'plan'; head: Head; decision: BranchDecision }
  /** Fetching the managed branches and choosing preprod or production. */
  | { name: 'fetch'; head: Head; decision: BranchDecision }
  /** Saving the decision before anything moves. */
  | { name: 'persist'; head: Head; decision: BranchDecision }
  /** The forced checkout has begun: the commit point. */
  | { name: 'switch'; head: Head; decision: BranchDecision }
  /** Switched; installing dependencies. */
  | { name: 'install'; head: Head; before: string | null; decision: BranchDecision; reason: ReasonCode }
  /** Switched; restarting onto the new code. */
  | { name: 'restart'; head: Head; before: string | null; decision: BranchDecision; reason: ReasonCode }
  | { name: 'done' };

export type PhaseName = BootPhase['name'];

/**
 * What the boot does when its deadline passes:
 * - `leave`: nothing has moved; resolve now, the node where it is, with the
 *   reason of what ran out of time;
 * - `finish-step`: a fetch runs, bounded by what was left of the deadline, and
 *   ends the boot itself as soon as it returns (no git child outlives it);
 * - `commit`: the checkout has begun; the boot runs to its end (a checkout is
 *   seconds) and reports what really happened.
 */
export type DeadlineOutcome =
  | { kind: 'leave'; reason: ReasonCode }
  | { kind: 'finish-step'; reason: ReasonCode }
  | { kind: 'commit' };

export function deadlineOutcome(phase: BootPhase): DeadlineOutcome {
  switch (phase.name) {
    case 'lock':
      // Another boot held the lock all along: nothing about the store to check (docs/design.md §8).
      return { kind: 'leave', reason: 'boot-locked' };
    case 'read':
    case 'persist':
      return { kind: 'leave', reason: 'store-unavailable' };
    case 'plan':
      return { kind: 'leave', reason: 'repo-unreadable' };
    case 'fetch':
      return { kind: 'finish-step', reason: 'fetch-failed' };
    case 'switch':
    case 'install':
    case 'restart':
    case 'done':
      return { kind: 'commit' };
  }
}

/** The checkout as the phase last saw it, the branch before the boot, and the decision. */
export function phaseHead(phase: BootPhase): {
  head: Head | null;
  before: string | null;
  decision: BranchDecision | null;
} {
  switch (phase.name) {
    case 'lock':
    case 'done':
      return { head: null, before: null, decision: null };
    case 'read':
      return { head: phase.head, before: phase.head?.branch ?? null, decision: null };
    case 'plan':
    case 'fetch':
    case 'persist':
    case 'switch':
      return { head: phase.head, before: phase.head.branch, decision: phase.decision };
    case 'install':
    case 'restart':
      return { head: phase.head, before: phase.before, decision: phase.decision };
  }
}
