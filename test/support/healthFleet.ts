/**
 * A seeded fleet of per-scan signal values for the health statistics' tests
 * (test/unit/health/strata.test.ts). 13,000 nodes, p = 0.07 on the release,
 * 30% ArcaneOS, five hosting providers; hourly scans; the release reaches
 * preprod nodes 1–4 scans after it is pushed (the watchdog's interval).
 * One signal, "runs at least one app": 65% of nodes host apps; each scan a
 * hosting node blips (reads bad) with probability 0.02; a node stops hosting
 * for good with probability 0.0005 per scan. Optional: one provider's nodes
 * all read bad for some scans (an outage that must cancel, not halt); a harm
 * that stops apps for good on a share of one stratum's release nodes.
 */
import { seededRandom } from '../../src/cohort/random';
import { BAD, GOOD, type SignalSeries } from '../../src/health/didStats';
import type { HealthNode } from '../../src/health/strata';

export const PROVIDERS = ['A', 'B', 'C', 'D', 'E'];
const PROVIDER_SHARES = [0.3, 0.25, 0.2, 0.15, 0.1];
const HOSTING = 0.65;

export interface HealthFleetOptions {
  seed: number;
  nodes?: number;
  probability?: number;
  scans?: number;
  /** Scan at which the release is pushed. */
  pushAt?: number;
  /** Share of the harmed stratum's release nodes that stop hosting apps at adoption (drawn among the 65% hosting). */
  harm?: number;
  /** Which release nodes the harm can hit. */
  harmed?: (node: HealthNode) => boolean;
  /** A provider whose every node reads bad over [from, to). */
  outage?: { provider: string; from: number; to: number };
  /**
   * The signal played: `apps` (above) or `restarts` (good unless FluxOS restarted since the last scan:
   * about weekly, plus the switch onto the release; harmed nodes restart every `restartEvery` scans).
   */
  signal?: 'apps' | 'restarts';
  restartEvery?: number;
}

function pick(random: () => number, shares: readonly number[]): number {
  let u = random();
  for (let i = 0; i < shares.length; i += 1) {
    u -= shares[i];
    if (u < 0) return i;
  }
  return shares.length - 1;
}

export function healthFleet(options: HealthFleetOptions): HealthNode[] {
  const random = seededRandom(options.seed);
  const count = options.nodes ?? 13_000;
  const scans = options.scans ?? 48;
  const pushAt = options.pushAt ?? 12;
  const nodes: HealthNode[] = [];
  for (let i = 0; i < count; i += 1) {
    const onRelease = random() < (options.probability ?? 0.07);
    const node: HealthNode = {
      releaseAt: onRelease ? pushAt + 1 + Math.floor(random() * 4) : null,
      arcane: random() < 0.3,
      provider: PROVIDERS[pick(random, PROVIDER_SHARES)],
      series: new Int8Array(scans),
    };
    if (options.signal === 'restarts') {
      const harmed = onRelease && (options.harmed?.(node) ?? true) && random() < (options.harm ?? 0);
      const every = options.restartEvery ?? 4;
      fill(node.series, (scan) => {
        const since = scan - (node.releaseAt ?? Infinity);
        if (since === 0) return BAD;
        if (harmed && since > 0 && since % every === 0) return BAD;
        return random() < 1 / 168 ? BAD : GOOD;
      });
      nodes.push(node);
      continue;
    }
    const hosts = random() < HOSTING;
    const harmed = onRelease && hosts && (options.harmed?.(node) ?? true) && random() < (options.harm ?? 0) / HOSTING;
    let lostAt = Infinity;
    fill(node.series, (scan) => {
      if (!hosts) return BAD;
      if (harmed && scan >= (node.releaseAt as number)) return BAD;
      if (lostAt === Infinity && random() < 0.0005) lostAt = scan;
      if (scan >= lostAt) return BAD;
      const out = options.outage;
      if (out && node.provider === out.provider && scan >= out.from && scan < out.to) return BAD;
      return random() < 0.02 ? BAD : GOOD;
    });
    nodes.push(node);
  }
  return nodes;
}

function fill(series: SignalSeries, value: (scan: number) => number): void {
  for (let scan = 0; scan < series.length; scan += 1) series[scan] = value(scan);
}
