/**
 * Why a release waits, and what would change it (docs/gate.md, "Wait says why
 * and until when"): one line per unmet criterion that keeps it from being
 * promoted, by name, with the time it would be met if scans go on as now.
 * Pure.
 */
import type { GateEvidence } from './evidence';
import type { GateSettings } from './gateSettings';
import type { Criterion } from './verdict';

export interface Blocking {
  criterion: string;
  why: string;
  wouldChange: string;
}

const MS_PER_HOUR = 3_600_000;

function later(at: string | null, hours: number): string {
  if (at === null || !Number.isFinite(hours)) return 'later';
  return new Date(Date.parse(at) + Math.ceil(hours) * MS_PER_HOUR).toISOString();
}

const fixed = (value: number | null, digits = 1) => (value === null ? '–' : value.toFixed(digits));

type Explain = (c: Criterion, e: GateEvidence, s: GateSettings) => Omit<Blocking, 'criterion'>;

const EXPLAIN: ReadonlyMap<string, Explain> = new Map<string, Explain>([
  [
    'exposure.soak-hours',
    (c, e) => {
      const missing = c.threshold - (c.value ?? 0);
      return {
        why: `watched ${fixed(c.value)} h of ${c.threshold} h since it reached preprod (gaps do not count)`,
        wouldChange: `${fixed(missing)} more watched hours: ${later(e.at, missing)} with scans as now`,
      };
    },
  ],
  [
    'exposure.preprod-nodes',
    (c) => ({
      why: `${c.value ?? 0} of ${c.threshold} selected nodes ran it`,
      wouldChange: `${c.threshold - (c.value ?? 0)} more selected nodes answering with it`,
    }),
  ],
  [
    'exposure.node-hours',
    (c, e) => {
      const missing = c.threshold - (c.value ?? 0);
      return {
        why: `${fixed(c.value, 0)} of ${c.threshold} node-hours`,
        wouldChange:
          `${fixed(missing, 0)} more node-hours: ` +
          `${later(e.at, missing / Math.max(e.uptake.on, 1e-9))} at ${e.uptake.on} nodes`,
      };
    },
  ],
  [
    'uptake',
    (c) => ({
      why: `${fixed((c.value ?? 0) * 100)}% of answering selected nodes run it, below ${c.threshold * 100}%`,
      wouldChange: 'more selected nodes pulling it (the watchdog) or answering again',
    }),
  ],
  [
    'freshness.last-scan-age',
    (c) => ({
      why: `the last scan is ${fixed(c.value)} h old, more than ${c.threshold} h`,
      wouldChange: 'a new scan recorded (fleet --record)',
    }),
  ],
  [
    'freshness.scans-per-day',
    (c) => ({
      why: `${c.value ?? 0} scans in the 24 h before the last one, fewer than ${c.threshold}`,
      wouldChange: `${c.threshold - (c.value ?? 0)} more scans within a day`,
    }),
  ],
]);

function healthLine(c: Criterion, e: GateEvidence): Omit<Blocking, 'criterion'> {
  if (c.value === null)
    return {
      why: 'no bound at this look (the scan it reached preprod, right after a gap, or no nodes in a group)',
      wouldChange: 'the next scan within the gap limit',
    };
  const dark = c.name.startsWith('health.dark');
  const what = dark ? 'the dark difference' : 'the share';
  return {
    why: `the upper bound of ${what} is ${fixed(c.value * 100, 2)}%, above ${c.threshold * 100}%`,
    wouldChange:
      `more watched hours without new ${dark ? 'dark nodes' : 'fallbacks'} among ` +
      `${e.dark.release.nodes} release nodes, or more release nodes`,
  };
}

/** The unmet criteria that keep the release from promotion, explained. */
export function blockingOf(criteria: readonly Criterion[], evidence: GateEvidence, settings: GateSettings): Blocking[] {
  const out: Blocking[] = [];
  for (const c of criteria) {
    if (c.met || c.name.endsWith('.lower')) continue;
    const explain = EXPLAIN.get(c.name);
    out.push({ criterion: c.name, ...(explain ? explain(c, evidence, settings) : healthLine(c, evidence)) });
  }
  return out;
}
