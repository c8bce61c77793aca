/**
 * From evidence to promote / halt / wait (docs/gate.md). Every criterion is
 * printed with its measured value and its threshold. Health criteria come in
 * pairs: `….upper` is met when the bound says "not worse than the threshold"
 * (needed to promote); `….lower` is unmet when the bound says "worse than the
 * threshold" (halt, even before the soak ends). Pure.
 */
import type { GateEvidence } from './evidence';
import type { GateSettings } from './gateSettings';
import { differenceBounds, wilsonBounds, type Bounds } from '../../stats/intervals';

export type Verdict = 'promote' | 'halt' | 'wait';

export interface Criterion {
  name: string;
  met: boolean;
  /** The measured value; null when there is nothing to measure yet. */
  value: number | null;
  threshold: number;
}

export interface Judgement {
  verdict: Verdict;
  criteria: Criterion[];
}

/** Names of the criteria that halt the release when unmet. */
export const HALT_CRITERIA: ReadonlySet<string> = new Set([
  'health.dark.lower',
  'health.crash-loop.lower',
  'health.switch-fail.lower',
]);

function round(value: number | null, digits = 6): number | null {
  if (value === null) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function atLeast(name: string, value: number | null, threshold: number): Criterion {
  return { name, met: value !== null && value >= threshold, value: round(value, 4), threshold };
}

/** The pair of health criteria for one bound against one threshold. */
function healthPair(name: string, bounds: Bounds | null, threshold: number): Criterion[] {
  return [
    {
      name: `${name}.upper`,
      met: bounds !== null && bounds.high <= threshold,
      value: round(bounds?.high ?? null),
      threshold,
    },
    {
      name: `${name}.lower`,
      met: bounds === null || bounds.low <= threshold,
      value: round(bounds?.low ?? null),
      threshold,
    },
  ];
}

export function criteriaOf(evidence: GateEvidence, settings: GateSettings): Criterion[] {
  const { dark, crashLoops, switchFailures, uptake } = evidence;
  const c = settings.confidence;
  const darkBounds = differenceBounds(
    dark.release.dark,
    dark.release.nodes,
    dark.baseline.dark,
    dark.baseline.nodes,
    c,
  );
  return [
    atLeast('exposure.soak-hours', evidence.hoursSinceReached, settings.minSoakHours),
    atLeast(
      'exposure.preprod-nodes',
      evidence.reachedAt === null ? null : evidence.preprodNodes,
      settings.minPreprodNodes,
    ),
    atLeast('exposure.node-hours', evidence.reachedAt === null ? null : evidence.nodeHours, settings.minNodeHours),
    atLeast('uptake', uptake.of > 0 ? uptake.on / uptake.of : null, settings.minUptake),
    ...healthPair('health.dark', darkBounds, settings.darkMargin),
    ...healthPair('health.crash-loop', wilsonBounds(crashLoops.count, crashLoops.of, c), settings.maxCrashLoopShare),
    ...healthPair(
      'health.switch-fail',
      wilsonBounds(switchFailures.count, switchFailures.of, c),
      settings.maxSwitchFailShare,
    ),
  ];
}

/** halt if any halting criterion is unmet; promote if every criterion is met; otherwise wait. */
export function verdictOf(criteria: readonly Criterion[]): Verdict {
  if (criteria.some((criterion) => HALT_CRITERIA.has(criterion.name) && !criterion.met)) return 'halt';
  return criteria.every((criterion) => criterion.met) ? 'promote' : 'wait';
}

export function judge(evidence: GateEvidence, settings: GateSettings): Judgement {
  const criteria = criteriaOf(evidence, settings);
  return { verdict: evidence.reachedAt === null ? 'wait' : verdictOf(criteria), criteria };
}
