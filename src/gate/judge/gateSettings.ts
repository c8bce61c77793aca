/**
 * The `gate` settings block (docs/gate.md): packaged defaults in
 * config/default.json, an operator's `--config FILE` merged over them, every
 * field validated with a one-sentence error. Kept apart from the boot's
 * settings: a typo here must never stop a node from booting.
 */
import defaults from '../../../config/default.json';
import { PreprodError } from '../../errors';
import { describeValue, escapeText, mergeFragments, readConfigFile } from '../../config/settings';
import * as path from 'node:path';
import { validateSignalSettings, type SignalSettings } from './signalSettings';

export interface GateSettings {
  /** Hours since the release reached preprod before it may be promoted. Default 72. */
  minSoakHours: number;
  /** Distinct preprod-selected nodes that ran the release. Default 100. */
  minPreprodNodes: number;
  /** Node-hours run on the release by preprod-selected nodes. Default 5000. */
  minNodeHours: number;
  /** Share of answering preprod-selected nodes on the release at the time judged. Default 0.8. */
  minUptake: number;
  /** Hours a node must have been silent, and still be silent when judged, to count as dark. Default 3. */
  darkHours: number;
  /**
   * Confidence of the gate over all its looks together: the error 1 − confidence is spent along the hours
   * watched (src/stats/spending.ts), so asking every hour keeps it. Default 0.95.
   */
  confidence: number;
  /** Hours after it reached preprod by which half of the halting error is spent. Default 12. */
  spendingHalfLifeHours: number;
  /** Hours after the soak by which half of the promoting error is spent. Default 1. */
  promoteHalfLifeHours: number;
  /** Time between two scans counts as watched only up to this many hours; a longer one is a gap. Default 3. */
  maxScanGapHours: number;
  /** Promote only when the last scan is at most this many hours old when judged. Default 3. */
  maxScanAgeHours: number;
  /** Promote only with at least this many scans in the 24 hours before the last one. Default 12. */
  minScansPerDay: number;
  /**
   * Hours a node must have run an older release before this one reached preprod for trouble that begins
   * after that to be charged to this one (docs/gate.md, "Charged to the release it ran"). Default 12.
   */
  steadyHours: number;
  /** Nodes needed on a release to say it reached preprod, or on a newer one to supersede it. Default 5. */
  quorumNodes: number;
  /** Share of the release group needed on a newer release to supersede it. Default 0.05. */
  quorumShare: number;
  /** Watched hours after which a release neither promoted nor halted is inconclusive (exit 5). Default 168. */
  inconclusiveAfterHours: number;
  /** How much larger the dark share of the release's nodes may be than production's (absolute). Default 0.02. */
  darkMargin: number;
  /**
   * The margin grows with production's own dark share: at least this times it (1: when 3% of production
   * nodes are dark, the release may have 3 points more). Default 1; 0 keeps the absolute margin alone.
   */
  darkRelativeMargin: number;
  /**
   * Halt when the lower bound of the dark difference (whole fleet, or one platform stratum) is above this: the
   * release is shown darker than production by more than it. Smaller than the promote margin, so a harm too
   * small to promote over can still be shown (docs/gate.md, "Halt and promote thresholds"). Default 0.0025.
   */
  darkHaltMargin: number;
  /**
   * The same for one platform stratum (docs/gate.md, "Strata"): a stratum has a third or two thirds of the
   * nodes, so a few nodes more or less move its share more. Default 0.005.
   */
  darkStratumHaltMargin: number;
  /**
   * Silences that began within this many hours after the release reached preprod are also compared on their
   * own ("early dark"): a release's harm to availability shows soon after nodes take it, and the early count
   * leaves out the fleet's slow churn (nodes leaving for good over days). Default 6.
   */
  earlyDarkHours: number;
  /** Promote only when the upper bound of the early dark difference is at most this. Default 0.01. */
  earlyDarkMargin: number;
  /** Promote only when the upper bound of the crash-loop share is at most this ceiling. Default 0.014. */
  maxCrashLoopShare: number;
  /**
   * Halt when the lower bound of the crash-loop share (whole fleet, or one platform stratum) is above this.
   * Default 0.005.
   */
  crashLoopHaltShare: number;
  /** Ceiling of the share of selected nodes whose switch to preprod failed. Default 0.02. */
  maxSwitchFailShare: number;
  /** The health signals judged and their margins (signalSettings.ts); defaults from src/health/signalRules.ts. */
  signals: SignalSettings;
}

type Check = (value: unknown, key: string) => number;

function expected(key: string, what: string, value: unknown): PreprodError {
  return new PreprodError('config-invalid', `Expected \`gate.${key}\` to be ${what}, got ${describeValue(value)}.`);
}

function numberIn(min: number, max: number, whole = false): Check {
  const what = `${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`;
  return (value, key) => {
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
    if (!ok || (whole && !Number.isInteger(value))) throw expected(key, what, value);
    return value as number;
  };
}

function shareBelowOne(value: unknown, key: string): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) throw expected(key, 'a number between 0 and 1', value);
  return value;
}

/** One check per field; the mapped type makes a new field fail to compile until it has one. */
const FIELDS: { [K in keyof GateSettings]: (value: unknown, key: string) => GateSettings[K] } = {
  minSoakHours: numberIn(0, 8760),
  minPreprodNodes: numberIn(0, 1_000_000, true),
  minNodeHours: numberIn(0, 1e9),
  minUptake: numberIn(0, 1),
  darkHours: numberIn(0.25, 720),
  confidence: (value, key) => {
    if (typeof value !== 'number' || !(value >= 0.5 && value < 1))
      throw expected(key, 'a number from 0.5 to below 1', value);
    return value;
  },
  spendingHalfLifeHours: numberIn(0.1, 8760),
  promoteHalfLifeHours: numberIn(0.1, 8760),
  maxScanGapHours: numberIn(0.01, 720),
  maxScanAgeHours: numberIn(0.01, 876_000),
  minScansPerDay: numberIn(0, 100_000, true),
  steadyHours: numberIn(0, 8760),
  quorumNodes: numberIn(1, 1_000_000, true),
  quorumShare: numberIn(0, 1),
  inconclusiveAfterHours: numberIn(1, 87_600),
  darkMargin: numberIn(0, 1),
  darkRelativeMargin: numberIn(0, 100),
  darkHaltMargin: numberIn(0, 1),
  darkStratumHaltMargin: numberIn(0, 1),
  earlyDarkHours: numberIn(1, 8760),
  earlyDarkMargin: numberIn(0, 1),
  maxCrashLoopShare: shareBelowOne,
  crashLoopHaltShare: shareBelowOne,
  maxSwitchFailShare: shareBelowOne,
  signals: validateSignalSettings,
};

/** Validates a merged `gate` block; unknown keys are errors so a typo cannot fall back to a default. */
export function validateGateSettings(raw: unknown): GateSettings {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PreprodError('config-invalid', `Expected \`gate\` to be an object, got ${describeValue(raw)}.`);
  }
  const section = raw as Record<string, unknown>;
  for (const key of Object.keys(section)) {
    if (!Object.hasOwn(FIELDS, key))
      throw new PreprodError('config-invalid', `Unknown setting \`gate.${escapeText(key, 40)}\`.`);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(FIELDS) as (keyof GateSettings)[]) {
    out[key] = FIELDS[key](Object.hasOwn(section, key) ? section[key] : undefined, key);
  }
  return out as unknown as GateSettings;
}

export function defaultGateSettings(): GateSettings {
  return validateGateSettings(mergeFragments(defaults.gate));
}

/** The defaults with the `gate` block of `configFile` (if given) merged over them. */
export function readGateSettings(configFile?: string, overrides?: Partial<GateSettings>): GateSettings {
  const fromFile = configFile === undefined ? undefined : readConfigFile(path.resolve(configFile)).gate;
  if (fromFile !== undefined && (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile))) {
    throw new PreprodError('config-invalid', `Expected \`gate\` to be an object, got ${describeValue(fromFile)}.`);
  }
  return validateGateSettings(mergeFragments(defaults.gate, fromFile, overrides));
}
