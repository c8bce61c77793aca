/**
 * The seeded fleet model of a node's health signals scan by scan, shared by the
 * healthBudget and historyBudget benches (its assumptions are listed in
 * bench/healthBudget.bench.ts, because the size figures depend on them).
 */
import type { RandomSource } from '../../src/cohort/random';
import type { StoredHealth } from '../../src/health/encode';
import { NO_SIGNALS, type HealthSignals } from '../../src/health/signals';

export const EPOCH_S = Date.parse('2026-01-01T00:00:00Z') / 1000;
const PROVIDERS = ['Hetzner Online GmbH', 'OVH SAS', 'Contabo GmbH', 'DigitalOcean, LLC', 'home ISP'];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'PL', 'NL'];

export interface ModelNode {
  key: string;
  answerMedianMs: number;
  peersInMean: number;
  peersOutMean: number;
  apps: number;
  arcane: boolean;
  provider: string;
  country: string;
  bootedAt: number;
  stored: StoredHealth | null;
}

function poisson(mean: number, random: RandomSource): number {
  // Knuth's method; means here are below 40.
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k += 1;
    p *= random();
  }
  return k;
}

function normal(random: RandomSource): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function modelNode(i: number, random: RandomSource): ModelNode {
  return {
    key: `${100 + (i % 150)}.${(i * 7) % 256}.${(i * 13) % 256}.${i % 256}:16127`,
    answerMedianMs: 100 + random() * 1400,
    peersInMean: 2 + random() * 38,
    peersOutMean: 6 + random() * 10,
    apps: random() < 0.35 ? 0 : 1 + Math.floor(random() * 12),
    arcane: random() < 0.3,
    provider: PROVIDERS[Math.floor(random() * PROVIDERS.length)],
    country: COUNTRIES[Math.floor(random() * COUNTRIES.length)],
    bootedAt: EPOCH_S - Math.floor(random() * 7 * 86_400),
    stored: null,
  };
}

export function scanOf(
  node: ModelNode,
  hour: number,
  random: RandomSource,
): { signals: HealthSignals; lag: number; ms: number } {
  const now = EPOCH_S + hour * 3600;
  if (random() < 1 / 168) node.bootedAt = now - Math.floor(random() * 3600);
  if (random() < 0.01) node.apps = Math.max(0, node.apps + (random() < 0.5 ? -1 : 1));
  const ms = node.answerMedianMs * Math.exp(0.5 * normal(random));
  const lag = random() < 0.01 ? 6 + Math.floor(random() * 95) : Math.floor(random() * 3);
  if (random() < 0.005) return { signals: { ...NO_SIGNALS, degraded: 'daemon' }, lag, ms };
  const signals: HealthSignals = {
    confirmed: random() >= 0.001,
    benchmarkPassing: random() >= 0.001,
    runningApps: node.apps,
    peersIn: poisson(node.peersInMean, random),
    peersOut: poisson(node.peersOutMean, random),
    blocks: 1_900_000 + hour * 120 - lag,
    arcane: node.arcane,
    provider: node.provider,
    country: node.country,
    bootedAt: node.bootedAt,
    degraded: null,
  };
  return { signals, lag, ms };
}
