/**
 * A Checkout in memory, for unit tests of the boot steps: branches, remote
 * tips and failures are set up as data; every call is recorded. No git.
 */
import type { Checkout, Head, PendingSwitch, SwitchResult } from '../../src/checkout';
import { PreprodError } from '../../src/errors';

export interface FakeCheckoutSetup {
  /** HEAD's branch (null: detached); `undefined` with `headError` for a directory git refuses. */
  branch?: string | null;
  /** What head() rejects with instead of answering. */
  headError?: Error;
  /** Remote name by configured URL; a URL not listed has no remote. Default: every URL is `origin`. */
  remotes?: Record<string, string> | 'any';
  /** Commits of the remote's branches after a fetch; a branch not listed does not exist there. */
  remoteTips?: Record<string, string>;
  /** Remote-tracking tips already there before any fetch (a fetch replaces them with remoteTips). */
  localTips?: Record<string, string>;
  /** Pairs `ancestor..descendant` that isAncestor() answers true for (a commit is its own ancestor). */
  ancestry?: string[];
  /** What fetch() does: resolve, reject, or wait until released (a stalled remote). */
  fetch?: 'ok' | 'fail' | 'hang';
  /** What switchTo() does: move HEAD, fail before HEAD moves, or fail after it moved. */
  switchTo?: 'ok' | 'fail-before' | 'fail-after' | 'hang';
  depsChanged?: boolean;
  pending?: PendingSwitch | null;
  /** HEAD's commit. Default: preprod's tip on preprod (a node the remote's preprod still contains), else TIPS.old. */
  commit?: string;
}

export const TIPS = { master: 'a'.repeat(40), preprod: 'b'.repeat(40), old: 'c'.repeat(40) };

export class FakeCheckout implements Checkout {
  readonly dir: string;
  readonly calls: string[] = [];
  branch: string | null;
  commit: string;
  pending: PendingSwitch | null;
  private readonly setup: FakeCheckoutSetup;
  private tracking: Record<string, string>;
  private releaseHang: (() => void) | null = null;

  constructor(setup: FakeCheckoutSetup = {}, dir = '/nonexistent/fake-checkout') {
    this.dir = dir;
    this.setup = setup;
    this.branch = setup.branch === undefined ? 'master' : setup.branch;
    this.commit = setup.commit ?? (this.branch === 'preprod' ? TIPS.preprod : TIPS.old);
    this.pending = setup.pending ?? null;
    this.tracking = { ...(setup.localTips ?? {}) };
  }

  /** Names of the calls made, in order, e.g. ['head', 'findRemote', 'fetch']. */
  get callNames(): string[] {
    return this.calls.map((call) => call.split(' ')[0]);
  }

  /** Ends a hanging fetch or switch (as its own timeout would). */
  release(): void {
    this.releaseHang?.();
  }

  async head(): Promise<Head> {
    this.calls.push('head');
    if (this.setup.headError) throw this.setup.headError;
    return { branch: this.branch, commit: this.commit };
  }

  async findRemote(configuredUrl: string): Promise<string | null> {
    this.calls.push(`findRemote ${configuredUrl}`);
    const remotes = this.setup.remotes ?? 'any';
    return remotes === 'any' ? 'origin' : (remotes[configuredUrl] ?? null);
  }

  async fetch(remote: string, branches: string[], timeoutMs: number): Promise<void> {
    this.calls.push(`fetch ${remote} ${branches.join(',')} ${timeoutMs}`);
    const how = this.setup.fetch ?? 'ok';
    // A stalled remote: the adapter gives up at its timeout, as the real one kills git then.
    if (how === 'hang') await Promise.race([this.hang(), new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
    if (how !== 'ok')
      throw new PreprodError('fetch-failed', `Fetching ${branches.join(', ')} from ${remote} failed: unreachable.`);
    this.tracking = { ...(this.setup.remoteTips ?? { master: TIPS.master, preprod: TIPS.preprod }) };
  }

  async remoteTip(remote: string, branch: string): Promise<string | null> {
    this.calls.push(`remoteTip ${remote} ${branch}`);
    return this.tracking[branch] ?? null;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    this.calls.push(`isAncestor ${ancestor.slice(0, 4)} ${descendant.slice(0, 4)}`);
    if (ancestor === descendant) return true;
    const ancestry = this.setup.ancestry ?? [`${TIPS.master}..${TIPS.preprod}`];
    return ancestry.includes(`${ancestor}..${descendant}`);
  }

  async switchTo(branch: string, remote: string): Promise<SwitchResult> {
    this.calls.push(`switchTo ${branch} ${remote}`);
    const to = this.tracking[branch];
    if (to === undefined) throw new PreprodError('git-failed', `${remote}/${branch} has not been fetched.`);
    const how = this.setup.switchTo ?? 'ok';
    if (how === 'hang') await this.hang();
    const from = this.commit;
    this.pending = { branch, depsChanged: this.setup.depsChanged ?? false };
    if (how === 'fail-before') throw new PreprodError('git-failed', 'git checkout failed: index.lock is held.');
    this.branch = branch;
    this.commit = to;
    if (how === 'fail-after') throw new PreprodError('git-failed', 'git checkout failed: unable to unlink app.js.');
    return { from, to, depsChanged: this.setup.depsChanged ?? false };
  }

  async pendingSwitch(): Promise<PendingSwitch | null> {
    this.calls.push('pendingSwitch');
    return this.pending;
  }

  async completeSwitch(): Promise<void> {
    this.calls.push('completeSwitch');
    this.pending = null;
  }

  private hang(): Promise<void> {
    return new Promise((resolve) => {
      this.releaseHang = resolve;
    });
  }
}
