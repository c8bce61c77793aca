/**
 * Screens the entries of a JSON node list before a scan (docs/design.md §7):
 * a node list comes from strangers, and must not turn the scanner against
 * the scanning machine's own network. Entries whose address is loopback,
 * private, link-local, multicast, unspecified or reserved are dropped and
 * counted; names are resolved (the only I/O here) and checked the same way,
 * and a kept name is then scanned at the address that was checked. Targets
 * the operator types are not screened: they are the operator's own choice.
 */
import { promises as dns } from 'node:dns';
import { addressScope, screenAddresses, type Screened } from './addressScope';
import type { Target } from './targets';

/** Resolves a name to its IP addresses; rejects or returns [] when it does not resolve. */
export type Lookup = (host: string) => Promise<string[]>;

export interface ScreenOptions {
  /** Keep every entry (`--allow-private`). */
  allowPrivate?: boolean;
  /** Default: the system resolver (what a connection would use), every address. */
  lookup?: Lookup;
  /** A name that has not resolved by then counts as unresolved. Default 5000. */
  timeoutMs?: number;
  /** Names resolved at once. Default 16: the system resolver runs on a small thread pool. */
  concurrency?: number;
}

/** Dropped entries by why: an address scope, or `unresolved` for a name that did not resolve. */
export type DroppedCounts = Record<string, number>;

export interface ScreenResult {
  targets: Target[];
  dropped: { total: number; byScope: DroppedCounts };
}

const systemLookup: Lookup = async (host) =>
  (await dns.lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

function withDeadline(lookup: Lookup, host: string, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve([]), timeoutMs);
    lookup(host).then(
      (addresses) => {
        clearTimeout(timer);
        resolve(Array.isArray(addresses) ? addresses : []);
      },
      () => {
        clearTimeout(timer);
        resolve([]);
      },
    );
  });
}

/** Resolves each distinct name once, a few at a time, and screens what it resolved to. */
async function screenNames(names: string[], options: ScreenOptions): Promise<Map<string, Screened>> {
  const lookup = options.lookup ?? systemLookup;
  const timeoutMs = options.timeoutMs ?? 5000;
  const verdicts = new Map<string, Screened>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next];
      next += 1;
      verdicts.set(name, screenAddresses(await withDeadline(lookup, name, timeoutMs)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 16, names.length) }, worker));
  return verdicts;
}

export async function screenNodeList(targets: readonly Target[], options: ScreenOptions = {}): Promise<ScreenResult> {
  const byScope: DroppedCounts = Object.create(null) as DroppedCounts;
  if (options.allowPrivate) return { targets: [...targets], dropped: { total: 0, byScope } };
  const names = [...new Set(targets.filter((t) => addressScope(t.host) === undefined).map((t) => t.host))];
  const verdicts = await screenNames(names, options);
  const kept: Target[] = [];
  let total = 0;
  for (const target of targets) {
    const scope = addressScope(target.host);
    const verdict: Screened =
      scope === undefined
        ? (verdicts.get(target.host) ?? { ok: false, scope: 'unresolved' })
        : scope === 'public'
          ? { ok: true, address: target.host }
          : { ok: false, scope };
    if (verdict.ok) {
      kept.push(scope === undefined ? { ...target, address: verdict.address } : target);
    } else {
      total += 1;
      byScope[verdict.scope] = (byScope[verdict.scope] ?? 0) + 1;
    }
  }
  return { targets: kept, dropped: { total, byScope } };
}
