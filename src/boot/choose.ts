/**
 * Fetch and choose (docs/design.md §4): fetch both managed branches, then go
 * to preprod only when it exists and contains production's tip. Going to
 * production, a failed fetch falls back to the local remote-tracking ref.
 */
import { withdrawnBy } from '../checkout/convergence';
import { choosePreprodOrFallback } from '../checkout/plan';
import { describeError } from '../errors';
import {
  done,
  failedBecause,
  notePending,
  SUCCEEDED,
  type Attempt,
  type BootRun,
  type Planned,
  type Step,
} from './context';
import { stayResult } from './persist';

/** A fetch gets what is left of the deadline, never more than its own timeout. */
function fetchBudget(run: BootRun): number {
  return Math.max(1, Math.min(run.settings.preProd.fetchTimeoutMs, run.deadlineAt - Date.now()));
}

/** Fetches both managed branches. status never fetches: it reads the local refs. */
async function fetchManaged(run: BootRun, planned: Planned): Promise<Attempt> {
  const preProd = run.settings.preProd;
  if (run.kind === 'status') {
    // Going to production from the local ref changes nothing whatever the fetch brings.
    const local = await run.checkout.remoteTip(planned.remote, preProd.productionBranch);
    if (planned.branch === preProd.branch || local === null) notePending(run, 'fetch');
    return SUCCEEDED;
  }
  try {
    await run.checkout.fetch(planned.remote, [preProd.productionBranch, preProd.branch], fetchBudget(run));
    return SUCCEEDED;
  } catch (error) {
    return failedBecause(describeError(error));
  }
}

/** Whether preprod's tip contains production's, from the remote-tracking refs. */
async function preprodUsable(run: BootRun, remote: string): Promise<{ preprodTip: string | null; contained: boolean }> {
  const { branch, productionBranch } = run.settings.preProd;
  const preprodTip = await run.checkout.remoteTip(remote, branch);
  const productionTip = await run.checkout.remoteTip(remote, productionBranch);
  const contained =
    preprodTip !== null && productionTip !== null && (await run.checkout.isAncestor(productionTip, preprodTip));
  return { preprodTip, contained };
}

export async function fetchAndChoose(run: BootRun, planned: Planned): Promise<Step<Planned>> {
  const preProd = run.settings.preProd;
  const { head, decision, remote } = planned;
  run.phase = { name: 'fetch', head, decision };
  let fetched = await fetchManaged(run, planned);
  if (fetched.ok && run.signal.aborted) fetched = failedBecause('the boot deadline was reached during the fetch');
  const toProduction = planned.branch !== preProd.branch;
  if (!fetched.ok) {
    const local =
      toProduction && !run.signal.aborted ? await run.checkout.remoteTip(remote, preProd.productionBranch) : null;
    if (local === null) {
      const why = `fetch-failed: ${fetched.why}; the node is left where it is`;
      return done(
        await stayResult(run, { inputs: planned.inputs, head, decision, reason: 'fetch-failed', leave: true, why }),
      );
    }
    run.logger.warn(
      `fetch failed (${fetched.why}); going to ${preProd.productionBranch} ` +
        `at the local ${remote}/${preProd.productionBranch}`,
    );
  }
  let { branch, reason } = planned;
  if (!toProduction) {
    const { preprodTip, contained } = await preprodUsable(run, remote);
    const choice = choosePreprodOrFallback({
      target: branch,
      settings: preProd,
      preprodTip,
      productionContained: contained,
    });
    branch = choice.branch;
    if (choice.reason) reason = choice.reason;
  }
  // A node on preprod whose commit preprod no longer contains (rewound, force-pushed) converges to the tip.
  const newTip =
    branch === head.branch && branch === preProd.branch
      ? await withdrawnBy(run.checkout, remote, branch, head.commit)
      : null;
  if (newTip !== null) return { next: { ...planned, branch, reason, newTip } };
  if (branch === head.branch && !planned.inputs.unfinished) {
    const why = reason === decision.reason ? 'already on it' : `${reason}: staying on ${branch}`;
    return done(await stayResult(run, { inputs: planned.inputs, head, decision, reason, why }));
  }
  return { next: { ...planned, branch, reason } };
}
