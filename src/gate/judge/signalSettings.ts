/**
 * The `signals` block of the `gate` settings (docs/gate-operations.md, "Health
 * signals in the gate"): per health signal of docs/health.md whether the gate
 * judges it and its two margins, and the chance of any false halt shared by
 * every signal. The defaults are not repeated here or in config/default.json:
 * each signal's margins come from its rule (src/health/signalRules.ts) and
 * `alpha` from the statistics' own default (src/health/strata.ts), so a fact
 * lives in one place. Every field is validated with a one-sentence error.
 */
import { PreprodError } from '../../errors';
import { SIGNAL_RULES, type SignalName } from '../../health/signalRules';
import { STRATA_DEFAULTS } from '../../health/strata';
import { describeValue, escapeText } from '../../text';

export interface SignalSetting {
  /** Whether the gate judges this signal. Default true. */
  enabled: boolean;
  /** Harm accepted for promotion: the whole fleet's upper bound must be within it. Default: the signal's rule. */
  margin: number;
  /** Harm that halts: any judged stratum's lower bound above it. Default: the signal's rule. */
  haltMargin: number;
}

/** `alpha` plus one entry per signal, keyed by the fixed signal names (never by a string from a node). */
export type SignalSettings = { alpha: number } & { [K in SignalName]: SignalSetting };

const SIGNAL_KEYS = ['enabled', 'margin', 'haltMargin'] as const;

function invalid(key: string, what: string, value: unknown): PreprodError {
  return new PreprodError(
    'config-invalid',
    `Expected \`gate.signals.${key}\` to be ${what}, got ${describeValue(value)}.`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(section: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(section)) {
    if (!known.includes(key))
      throw new PreprodError('config-invalid', `Unknown setting \`gate.signals.${prefix}${escapeText(key, 40)}\`.`);
  }
}

/** A share in [0, 1): margins are differences of shares of nodes. */
function share(value: unknown, key: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw invalid(key, 'a number from 0 to below 1', value);
  return value;
}

function signalSetting(name: SignalName, raw: unknown): SignalSetting {
  const rule = SIGNAL_RULES.find((r) => r.name === name) as (typeof SIGNAL_RULES)[number];
  if (raw === undefined) return { enabled: true, margin: rule.margin, haltMargin: rule.haltMargin };
  if (!isObject(raw)) throw invalid(name, 'an object such as {"enabled": true, "margin": 0.01}', raw);
  unknownKeys(raw, SIGNAL_KEYS, `${name}.`);
  const enabled = raw.enabled ?? true;
  if (typeof enabled !== 'boolean') throw invalid(`${name}.enabled`, 'true or false', enabled);
  return {
    enabled,
    margin: share(raw.margin, `${name}.margin`, rule.margin),
    haltMargin: share(raw.haltMargin, `${name}.haltMargin`, rule.haltMargin),
  };
}

/** Validates a merged `gate.signals` block; absent fields take their defaults, unknown keys are errors. */
export function validateSignalSettings(raw: unknown): SignalSettings {
  if (raw === undefined) raw = {};
  if (!isObject(raw)) {
    throw new PreprodError('config-invalid', `Expected \`gate.signals\` to be an object, got ${describeValue(raw)}.`);
  }
  unknownKeys(raw, ['alpha', ...SIGNAL_RULES.map((r) => r.name)], '');
  const alpha = raw.alpha ?? STRATA_DEFAULTS.alpha;
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha <= 0.5))
    throw invalid('alpha', 'a number above 0 and at most 0.5', alpha);
  const out = { alpha } as SignalSettings;
  for (const rule of SIGNAL_RULES) out[rule.name] = signalSetting(rule.name, raw[rule.name]);
  return out;
}

/** The signals the gate judges, in the order of SIGNAL_RULES. */
export function enabledSignals(settings: SignalSettings): SignalName[] {
  return SIGNAL_RULES.filter((rule) => settings[rule.name].enabled).map((rule) => rule.name);
}
