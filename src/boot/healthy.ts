/**
 * Marking a boot healthy (docs/design.md §9): it closes the open mark of a
 * boot that runs preprod code and clears the count of the period. On a
 * production boot, or after the node fell back, it changes nothing and says so.
 */
import { markHealthyWrite, parseBootHealth } from '../cohort/decide';
import { describeError } from '../errors';
import { BOOT_HEALTH_KEY } from '../types';
import type { BootDeps } from './context';
import type { BootResult } from './result';

export interface HealthyReport {
  /** A count or an open mark was cleared. */
  cleared: boolean;
  /** One sentence for the operator. */
  message: string;
}

/** Where this boot runs: from its result, or (the CLI's `healthy`) from HEAD. */
async function runsPreprod(deps: BootDeps, last: BootResult | null): Promise<string | null> {
  const preprod = deps.settings.preProd.branch;
  if (last !== null) {
    if (last.mode !== 'preprod') return `this boot runs ${last.mode} (${last.reason})`;
    return last.branch.switched ? 'this boot switched to preprod and runs the old code until its restart' : null;
  }
  const head = await deps.checkout.head().catch(() => null);
  if (head === null) return 'the checkout cannot be read';
  return head.branch === preprod ? null : `the node runs ${head.branch ?? 'a detached HEAD'}, not ${preprod}`;
}

async function clearUnhealthyCount(deps: BootDeps, last: BootResult | null): Promise<HealthyReport> {
  const notPreprod = await runsPreprod(deps, last);
  if (notPreprod !== null) return { cleared: false, message: `${notPreprod}: healthy changes nothing` };
  const store = await deps.getStore(0);
  const stored = await store.get(BOOT_HEALTH_KEY);
  const fellBackAt = parseBootHealth(stored)?.fellBackAt;
  if (fellBackAt !== undefined) {
    const when = fellBackAt.toISOString().slice(0, 10);
    return {
      cleared: false,
      message: `the node fell back to production (crash-loop) on ${when} until its next draw: healthy changes nothing`,
    };
  }
  const write = markHealthyWrite(stored, deps.now());
  if (write === null || 'delete' in write)
    return { cleared: false, message: 'nothing to clear: no unhealthy preprod boots are counted' };
  await store.set(write.key, write.value);
  return { cleared: true, message: 'marked healthy: the crash-loop count is cleared' };
}

/**
 * Marks this boot healthy (docs/design.md §9): what FluxOS, the healthy timer and the CLI's `healthy` call.
 * Never throws; its one line is logged and returned.
 */
export async function markHealthy(deps: BootDeps, last: BootResult | null): Promise<HealthyReport> {
  try {
    const report = await clearUnhealthyCount(deps, last);
    deps.logger.info(report.message);
    return report;
  } catch (error) {
    const message = `could not mark this boot healthy: ${describeError(error)}`;
    deps.logger.warn(message);
    return { cleared: false, message };
  }
}
