/**
 * The boot as named steps (docs/design.md §3–§5): read inputs → plan → fetch
 * and choose → switch → finish and restart. Each step either ends the boot
 * with a result or hands the next one what it found; the phase it sets is what
 * the deadline reads. The steps talk to git through the Checkout port only.
 */
import type { Head, SwitchResult } from '../checkout';
import { choosePreprodOrFallback, planSwitch, planWithoutRemote } from '../checkout/plan';
import { decide, describeDecision, type BranchDecision } from '../cohort/decide';
import { writesForLanding } from '../cohort/landing';
import type { StoreWrite } from '../cohort/records';
import { describeError } from '../errors';
import type { Mode, ReasonCode, UserFlags } from '../types';
import { checkDeadline, done, type BootRun, type Step } from './context';
import { finishSwitch } from './finish';
import { readFlags, readStateDocs, type StateDocs } from './inputs';
import { lockBoot, releaseOnce } from './bootLock';
import { resultFrom, type BootResult, type ResultParts } from './result';

interface Inputs {
  flags: UserFlags;
  head: Head | null;
  docs: StateDocs;
}

interface Planned {
  head: Head;
  decision: BranchDecision;
  target: string;
  remote: string;
  /** An earlier boot began a switch and did not finish it. */
  unfinished: boolean;
}

interface Chosen extends Planned {
  branch: string;
  reason: ReasonCode;
  mode: Mode;
}

/** The whole boot; the service races it against the deadline. */
export async function runBoot(run: BootRun): Promise<BootResult> {
  const flags = readFlags(run.userconfig, run.repoDir, run.logger);
  if (flags.development) return developmentResult(run, flags);
  const release = releaseOnce(await lockBoot(run.repoDir, run.settings.preProd.bootDeadlineMs, run.logger));
  try {
    const inputs = await readInputs(run, flags);
    if ('done' in inputs) return inputs.done;
    const planned = await planCheckout(run, inputs.next);
    if ('done' in planned) return planned.done;
    const chosen = await fetchAndChoose(run, planned.next);
    if ('done' in chosen) return chosen.done;
    return await switchCheckout(run, chosen.next, release);
  } finally {
    await release();
  }
}

function developmentResult(run: BootRun, flags: UserFlags): BootResult {
  const decision = decide({
    settings: run.settings.preProd,
    flags,
    cohortDoc: null,
    optOutDoc: null,
    healthDoc: null,
    now: run.now(),
    random: run.random,
  });
  const message = describeDecision(decision);
  run.logger.info(message);
  return resultFrom({ head: null, before: null, decision, reason: 'development', settings: run.settings, message });
}

function result(run: BootRun, parts: Omit<ResultParts, 'settings'>): BootResult {
  return resultFrom({ ...parts, settings: run.settings });
}

/** HEAD and the stored documents, read side by side. */
async function readInputs(run: BootRun, flags: UserFlags): Promise<Step<Inputs>> {
  run.phase = { name: 'inputs', head: null };
  // Read HEAD while the store answers, and keep it where the deadline can see it.
  const headRead = run.checkout.head().then(
    (head) => {
      if (run.phase.name === 'inputs') run.phase = { name: 'inputs', head };
      return head;
    },
    () => null,
  );
  let docs: StateDocs;
  try {
    docs = await readStateDocs(run.store);
  } catch (error) {
    const head = await headRead;
    const message = `store-unavailable: ${describeError(error)}; the node is left where it is`;
    run.logger.warn(message);
    return done(
      result(run, { head, before: head?.branch ?? null, decision: null, reason: 'store-unavailable', message }),
    );
  }
  const head = await headRead;
  checkDeadline(run);
  return { next: { flags, head, docs } };
}

/** The decision, then where the checkout should go: nowhere (done), or a switch to plan for. */
async function planCheckout(run: BootRun, inputs: Inputs): Promise<Step<Planned>> {
  const preProd = run.settings.preProd;
  const decision = decide({
    settings: preProd,
    flags: inputs.flags,
    ...inputs.docs,
    now: run.now(),
    random: run.random,
  });
  if (decision.mode === 'skipped') return done(developmentResult(run, inputs.flags));
  const { head } = inputs;
  run.phase = { name: 'plan', head, decision };
  const target = decision.targetBranch;
  if (head === null) {
    await persist(run, writesForLanding(decision, null, preProd));
    const where = `${run.repoDir} is not a git checkout, left alone (unmanaged-branch)`;
    const message = `${describeDecision(decision)}; ${where}`;
    run.logger.warn(message);
    return done(result(run, { head: null, before: null, decision, reason: 'unmanaged-branch', message }));
  }
  // Cheap checks first: a node already on its branch costs one git process and no network.
  const planInput = { current: { branch: head.branch }, targetBranch: target, settings: preProd };
  let plan =
    planWithoutRemote(planInput) ??
    planSwitch({ ...planInput, remoteName: await run.checkout.findRemote(preProd.remote) });
  // A switch that an earlier boot began and did not finish (killed, disk full, read-only) may have
  // moved HEAD already: "already on it" is not done, so it is switched again. One file read, no git.
  const unfinished = (await run.checkout.pendingSwitch().catch(() => null)) !== null;
  if (plan.action === 'none' && unfinished && head.branch !== null) {
    const remote = await run.checkout.findRemote(preProd.remote);
    if (remote !== null) plan = { action: 'switch', from: head.branch, to: target, remote };
  }
  if (plan.action !== 'switch') {
    await persist(run, writesForLanding(decision, head.branch, preProd));
    const reason = plan.action === 'leave' ? plan.reason : decision.reason;
    const where = plan.action === 'none' ? 'already on it' : `left alone (${reason})`;
    const message = `${describeDecision(decision)}; ${where}`;
    run.logger.info(message);
    return done(result(run, { head, before: head.branch, decision, reason, message }));
  }
  return { next: { head, decision, target, remote: plan.remote, unfinished } };
}

/** Fetch both managed branches, then preprod or, when it lacks master's tip, production. */
async function fetchAndChoose(run: BootRun, planned: Planned): Promise<Step<Chosen>> {
  const preProd = run.settings.preProd;
  const { head, decision, target, remote } = planned;
  run.phase = { name: 'fetch', head, decision };
  try {
    await run.checkout.fetch(remote, [preProd.productionBranch, preProd.branch], preProd.fetchTimeoutMs);
  } catch (error) {
    await persist(run, writesForLanding(decision, head.branch, preProd));
    const why = `fetch-failed: ${describeError(error)}`;
    const message = `${describeDecision(decision)}; ${why}; the node is left where it is`;
    run.logger.warn(message);
    return done(result(run, { head, before: head.branch, decision, reason: 'fetch-failed', message }));
  }
  checkDeadline(run);
  let branch = target;
  let reason: ReasonCode = decision.reason;
  if (target === preProd.branch) {
    const preprodTip = await run.checkout.remoteTip(remote, preProd.branch);
    const productionTip = await run.checkout.remoteTip(remote, preProd.productionBranch);
    const contained =
      preprodTip !== null && productionTip !== null && (await run.checkout.isAncestor(productionTip, preprodTip));
    const choice = choosePreprodOrFallback({ target, settings: preProd, preprodTip, productionContained: contained });
    branch = choice.branch;
    if (choice.reason) reason = choice.reason;
  }
  if (branch === head.branch && !planned.unfinished) {
    await persist(run, writesForLanding(decision, branch, preProd));
    const message = `${describeDecision(decision)}; ${reason}: staying on ${branch}`;
    run.logger.warn(message);
    return done(result(run, { head, before: head.branch, decision, reason, message }));
  }
  checkDeadline(run);
  const mode: Mode = branch === preProd.branch ? 'preprod' : 'production';
  return { next: { ...planned, branch, reason, mode } };
}

/** The forced checkout: the commit point. Then install and restart. */
async function switchCheckout(run: BootRun, chosen: Chosen, release: () => Promise<void>): Promise<BootResult> {
  const preProd = run.settings.preProd;
  const { head, decision, branch, reason } = chosen;
  run.phase = { name: 'switch', head, decision };
  let switched: SwitchResult;
  try {
    switched = await run.checkout.switchTo(branch, chosen.remote);
  } catch (error) {
    // git may have moved HEAD and part of the work tree before failing: the result reads HEAD
    // again, and the draw is kept so the next boot, which finishes the switch, does not re-draw.
    const current = (await run.checkout.head().catch(() => null)) ?? head;
    await persist(run, writesForLanding(decision, current.branch, preProd));
    const why = describeError(error).replace(/\.$/, '');
    const failed = `switching ${head.branch} → ${branch} failed: ${why}`;
    const message = `${describeDecision(decision)}; ${failed}; no restart, the next boot finishes the switch`;
    run.logger.error(message);
    return result(run, { head: current, before: head.branch, decision, reason, message });
  }
  await persist(run, writesForLanding(decision, branch, preProd));
  return finishSwitch(run, { chosen, switched, release });
}

/** Applies writes in order; a failure is logged and the boot goes on (the next boot decides again). */
export async function persist(run: BootRun, writes: StoreWrite[]): Promise<void> {
  if (!run.store || writes.length === 0) return;
  try {
    for (const write of writes) {
      if ('delete' in write) await run.store.delete(write.key);
      else await run.store.set(write.key, write.value);
    }
  } catch (error) {
    run.logger.warn(`could not save the decision (${describeError(error)}); the next boot decides again`);
  }
}

export type { Chosen };
