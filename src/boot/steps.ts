/**
 * The boot as named steps (docs/design.md §3–§5): read inputs → plan → fetch
 * and choose → persist → switch → finish and restart. Each step either ends the
 * run with a result or hands the next one what it found; the phase it sets is
 * what the deadline reads. The steps reach git through the Checkout port only.
 * `status` runs the same steps without taking the ones that write or move.
 */
import type { Head } from '../checkout';
import { withdrawnBy } from '../checkout/convergence';
import { planSwitch, planWithoutRemote, tracksAnotherRemote } from '../checkout/plan';
import { decide, decideWithoutStore, describeDecision, type Decision } from '../cohort/decide';
import { describeError } from '../errors';
import { lockBoot, releaseOnce } from './bootLock';
import { fetchAndChoose } from './choose';
import { checkDeadline, done, notePending, type BootRun, type Planned, type Step } from './context';
import { switchCheckout } from './finish';
import {
  readFlags,
  readStateDocs,
  statusCountsOpenBoot,
  NO_STATE_DOCS,
  type FlagsRead,
  type Inputs,
  type StateDocs,
} from './inputs';
import { leaveResult, persistDecision, stayResult } from './persist';
import { readRestartMarker } from './restartMarker';
import type { BootResult } from './result';

/** The whole run; the service races a boot against the deadline. */
export async function runBoot(run: BootRun): Promise<BootResult> {
  const flags = readFlags(run.userconfig, run.repoDir);
  if (flags.problem) run.logger.error(`${flags.problem} Opted out for this boot only, until the file is fixed.`);
  if (flags.flags.development) return developmentResult(run, flags);
  run.phase = { name: 'lock' };
  const locked =
    run.kind === 'status'
      ? async () => undefined
      : await lockBoot(run.repoDir, run.settings.preProd.bootDeadlineMs, run.logger);
  const release = releaseOnce(locked);
  try {
    const inputs = await readInputs(run, flags);
    const planned = await planCheckout(run, inputs);
    if ('done' in planned) return planned.done;
    const chosen = await fetchAndChoose(run, planned.next);
    if ('done' in chosen) return chosen.done;
    const stored = await persistDecision(run, chosen.next);
    if ('done' in stored) return stored.done;
    return await switchCheckout(run, stored.next, release);
  } finally {
    await release();
  }
}

function developmentResult(run: BootRun, flags: FlagsRead): BootResult {
  const input = {
    settings: run.settings.preProd,
    flags: flags.flags,
    ...NO_STATE_DOCS,
    now: run.now(),
    random: run.random,
  };
  const decision = decide(input);
  const message = describeDecision(decision);
  run.logger.info(message);
  return leaveResult(run, { head: null, before: null, decision, reason: 'development', message });
}

async function readDocs(run: BootRun): Promise<{ docs: StateDocs; storeProblem: string | null }> {
  try {
    const store = await run.getStore();
    return { docs: await readStateDocs(store, run.kind === 'status'), storeProblem: null };
  } catch (error) {
    return { docs: NO_STATE_DOCS, storeProblem: describeError(error) };
  }
}

/** HEAD, the stored documents, an unfinished switch and the restart marker, read side by side. */
async function readInputs(run: BootRun, flags: FlagsRead): Promise<Inputs> {
  run.phase = { name: 'read', head: null };
  const headRead = run.checkout.head().then(
    (head) => {
      if (run.phase.name === 'read') run.phase = { name: 'read', head };
      return { head, headProblem: null };
    },
    (error: unknown) => ({ head: null, headProblem: describeHeadProblem(run, error) }),
  );
  const [{ head, headProblem }, { docs, storeProblem }, pending, marker] = await Promise.all([
    headRead,
    readDocs(run),
    run.checkout.pendingSwitch().catch(() => null),
    readRestartMarker(run.repoDir),
  ]);
  checkDeadline(run);
  run.seen = { storeless: storeProblem !== null, markerBy: marker?.by ?? null, marker };
  return { ...flags, head, headProblem, docs, storeProblem, unfinished: pending !== null, marker };
}

/** The decision; status never draws: it decides with the draw that leaves the node where it is. */
function decideFrom(run: BootRun, inputs: Inputs): Decision | null {
  const settings = run.settings.preProd;
  const base = { settings, flags: inputs.flags, now: run.now(), userconfigProblem: inputs.problem };
  if (inputs.storeProblem !== null) return decideWithoutStore({ ...base, random: run.random }, inputs.storeProblem);
  const restartedBy = inputs.marker !== null && inputs.marker.by !== 'finding' ? inputs.marker : null;
  const now = base.now;
  // status: a preprod boot running now is not a crash (yet); the safety net's start records can answer here.
  const statusCounts = () => statusCountsOpenBoot(inputs.docs.healthDoc, now, settings.healthyAfterMs);
  const countPreviousBoot = run.kind === 'boot' || (run.kind === 'status' && statusCounts());
  const counting = { restartMarkerAt: restartedBy?.at ?? null, countPreviousBoot };
  if (run.kind !== 'status') return decide({ ...base, ...inputs.docs, random: run.random, ...counting });
  const stay = inputs.head?.branch === settings.branch ? 0 : 1 - Number.EPSILON;
  const decision = decide({ ...base, ...inputs.docs, random: () => stay, ...counting });
  // No valid draw: none is shown, and the outcome depends on it unless the node is left alone anyway.
  if (decision.cohort?.rolled) decision.cohort = { ...decision.cohort, draw: null };
  return decision;
}

/**
 * Why git refuses the directory, in git's words, with the fix. The git adapter
 * says both when it knows the case (an error of kind repo-unreadable).
 */
function describeHeadProblem(run: BootRun, error: unknown): string {
  const said = describeError(error);
  if ((error as { kind?: unknown }).kind === 'repo-unreadable') return said;
  if (/dubious ownership/i.test(said)) {
    const trust = `\`git config --global --add safe.directory ${run.repoDir}\``;
    return `${said} (run FluxOS as the checkout's owner, or trust it with ${trust})`;
  }
  if (/not a git repository/i.test(said)) return `${said} (repoDir must be the FluxOS checkout itself)`;
  return said;
}

function unreadable(run: BootRun, inputs: Inputs, decision: Decision | null): BootResult {
  const message = `repo-unreadable: ${inputs.headProblem ?? 'HEAD cannot be read'}; the node is left as it is`;
  run.logger.error(message);
  return leaveResult(run, { head: null, before: null, decision, reason: 'repo-unreadable', message });
}

function storeUnavailable(run: BootRun, inputs: Inputs, head: Head): BootResult {
  const message = `store-unavailable: ${inputs.storeProblem}; the node is left where it is`;
  run.logger.warn(message);
  return leaveResult(run, { head, before: head.branch, decision: null, reason: 'store-unavailable', message });
}

/**
 * A preprod node whose local remote-tracking preprod (as the last fetch, the
 * watchdog's included, left it) no longer contains HEAD: preprod was withdrawn
 * and the node must look again (docs/design.md §4). No network; only nodes on
 * preprod pay for it (no git process when the ref file shows HEAD is the tip).
 */
async function withdrawnLocally(run: BootRun, head: Head): Promise<boolean> {
  const { branch } = run.settings.preProd;
  if (head.branch !== branch) return false;
  // The remote preprod tracks (our switch sets it): no process to find it. No upstream, no look.
  const remote = head.upstream?.url ? head.upstream.remote : null;
  if (remote === null) return false;
  // Most preprod nodes are at the tip they last fetched: the ref file says so, no git process.
  const onDisk = await run.checkout.remoteTipOnDisk?.(remote, branch).catch(() => null);
  if (onDisk === head.commit) return false;
  return (await withdrawnBy(run.checkout, remote, branch, head.commit).catch(() => null)) !== null;
}

/** The remote that fetches from the configured upstream, null when none does. */
function findRemote(run: BootRun): Promise<string | null> {
  return run.checkout.findRemote(run.settings.preProd.remote);
}

/** The decision, then where the checkout should go: nowhere (the run ends), or a switch to fetch for. */
async function planCheckout(run: BootRun, inputs: Inputs): Promise<Step<Planned>> {
  const preProd = run.settings.preProd;
  const decision = decideFrom(run, inputs);
  const { head } = inputs;
  if (head === null) return done(unreadable(run, inputs, decision));
  if (decision === null) return done(storeUnavailable(run, inputs, head));
  if (decision.mode === 'skipped') return done(developmentResult(run, inputs));
  run.phase = { name: 'plan', head, decision };
  const target = decision.targetBranch;
  // Cheap checks first: a node already on its branch costs one git process and no network.
  const planInput = {
    current: { branch: head.branch, upstream: head.upstream },
    targetBranch: target,
    settings: preProd,
  };
  let plan = planWithoutRemote(planInput) ?? planSwitch({ ...planInput, remoteName: await findRemote(run) });
  // A branch tracking another remote is a fork only when the configured upstream is there at all.
  if (tracksAnotherRemote(planInput) && (await findRemote(run)) === null) {
    plan = { action: 'leave', reason: 'remote-not-found', branch: head.branch };
  }
  // "Already on it" is not done when an earlier boot's switch was cut short (HEAD may name the branch
  // over a half-old work tree), nor when a background recheck found preprod unusable: look again.
  const lookAgain =
    inputs.unfinished ||
    (inputs.marker?.recheck ?? false) ||
    run.lookAgain === true ||
    (plan.action === 'none' && (await withdrawnLocally(run, head)));
  if (plan.action === 'none' && lookAgain && head.branch !== null) {
    const remote = await run.checkout.findRemote(preProd.remote);
    if (remote !== null) plan = { action: 'switch', from: head.branch, to: target, remote };
  }
  checkDeadline(run);
  if (plan.action === 'leave')
    return done(await stayResult(run, { inputs, head, decision, reason: plan.reason, leave: true }));
  if (run.kind === 'status' && decision.cohort?.rolled) notePending(run, 'draw');
  if (plan.action === 'none') return done(await stayResult(run, { inputs, head, decision, reason: decision.reason }));
  return { next: { inputs, head, decision, remote: plan.remote, branch: target, reason: decision.reason } };
}
