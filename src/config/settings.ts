/**
 * Settings, zincati-style: raw fragments (packaged defaults, an operator's JSON
 * file, the host's object) are deep-merged, then validated into `Settings`.
 * Merging and validation are pure; `readSettings` is the only function that
 * touches the file system.
 */
import * as path from 'node:path';
import defaults from '../../config/default.json';
import { PreprodError } from '../errors';
import { FileReadError, readRegularFileSync } from '../os/readFile';
import { describeValue, escapeText, fsErrorReason, isPlainObject, jsonErrorReason, shownPath } from '../text';
import { refNameProblem } from '../checkout/refName';
import type { PreProdSettings, RestartStrategy, Settings } from '../types';

/** Keys never copied by a merge: a JSON `"__proto__"` must not reach Object.prototype. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Settings are shallow; anything deeper is a cycle in a host object or a hostile file. */
const MAX_DEPTH = 64;
/** The defaults file is a few hundred bytes; a config file megabytes long is a mistake. */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** Longest key shown in a message. */
const MAX_SHOWN_CHARS = 40;
/** A longer branch name cannot be a ref file on common file systems (255-byte names). */
const MAX_BRANCH_CHARS = 255;

// The text helpers live in ../text; re-exported for the modules that import them from here.
export { describeValue, escapeText, fsErrorReason, isPlainObject, shownPath } from '../text';

// ---------------------------------------------------------------------------
// Merging

function tooDeep(): PreprodError {
  return new PreprodError('config-invalid', `Expected the settings to be nested at most ${MAX_DEPTH} levels deep.`);
}

function cloneValue(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw tooDeep();
  if (Array.isArray(value)) return value.map((item) => cloneValue(item, depth + 1));
  if (isPlainObject(value)) return mergeInto({}, value, depth + 1);
  return value;
}

// `target` is always an object this module created, so mutating it never reaches a caller's data.
function mergeInto(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  depth: number,
): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw tooDeep();
  for (const key of Object.keys(source)) {
    if (UNSAFE_KEYS.has(key)) continue;
    const value = source[key];
    // A host building `{ restart: options.restart }` means "not set" by undefined; JSON cannot say it.
    if (value === undefined) continue;
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeInto(existing, value, depth + 1);
    } else {
      target[key] = cloneValue(value, depth + 1);
    }
  }
  return target;
}

/**
 * Deep-merges settings fragments, later ones winning: plain objects merge key by
 * key, arrays and scalars replace. `undefined`/`null` fragments and `undefined`
 * values are skipped; `__proto__`, `constructor` and `prototype` keys are dropped.
 * The result shares no object or array with its inputs.
 */
export function mergeFragments(...fragments: unknown[]): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  fragments.forEach((fragment, index) => {
    if (fragment === undefined || fragment === null) return;
    if (!isPlainObject(fragment)) {
      throw new PreprodError(
        'config-invalid',
        `Expected settings fragment ${index + 1} to be an object, got ${describeValue(fragment)}.`,
      );
    }
    mergeInto(merged, fragment, 0);
  });
  return merged;
}

// ---------------------------------------------------------------------------
// Validation

function invalid(keyPath: string, expectation: string, value: unknown): PreprodError {
  return new PreprodError('config-invalid', `Expected \`${keyPath}\` ${expectation}, got ${describeValue(value)}.`);
}

type FieldValidator<T> = (value: unknown, keyPath: string) => T;

function numberField(expectation: string, accept: (n: number) => boolean): FieldValidator<number> {
  return (value, keyPath) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || !accept(value)) {
      throw invalid(keyPath, `to be ${expectation}`, value);
    }
    return value;
  };
}

// Every millisecond setting ends up in a timer; whole numbers keep the arithmetic honest.
function millisecondsField(max: number): FieldValidator<number> {
  return numberField(
    `a whole number of milliseconds from 1 to ${max}`,
    (n) => Number.isInteger(n) && n >= 1 && n <= max,
  );
}

const RESTART_STRATEGIES: readonly RestartStrategy[] = ['none', 'nodemon', 'exit', 'auto'];

const restartField: FieldValidator<RestartStrategy> = (value, keyPath) => {
  if (!RESTART_STRATEGIES.includes(value as RestartStrategy)) {
    throw invalid(keyPath, "to be 'none', 'nodemon', 'exit' or 'auto'", value);
  }
  return value as RestartStrategy;
};

const branchField: FieldValidator<string> = (value, keyPath) => {
  if (typeof value !== 'string') throw invalid(keyPath, 'to be a valid git branch name', value);
  const problem =
    value.length > MAX_BRANCH_CHARS ? `is longer than ${MAX_BRANCH_CHARS} characters` : refNameProblem(value);
  if (problem !== null) throw invalid(keyPath, `to be a valid git branch name (it ${problem})`, value);
  return value;
};

const installCommandField: FieldValidator<string[]> = (value, keyPath) => {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(keyPath, 'to be a non-empty array of strings', value);
  }
  return value.map((item: unknown, index) => {
    // NUL cannot cross into argv; spawn would throw at restart time instead of now.
    if (typeof item !== 'string' || item === '' || item.includes('\u0000')) {
      throw invalid(`${keyPath}[${index}]`, 'to be a non-empty string without NUL characters', item);
    }
    return item;
  });
};

// Like installCommand, but may be empty: no extra arguments.
const installArgsField: FieldValidator<string[]> = (value, keyPath) =>
  Array.isArray(value) && value.length === 0 ? [] : installCommandField(value, keyPath);

const REMOTE_SCHEMES = new Set(['http:', 'https:', 'ssh:', 'git:', 'file:']);
// git's scp-like syntax: [user@]host:path, with no '/' before the first ':'.
const SCP_LIKE = /^(?:[^@/:\s]+@)?(?:\[[^\]/\s]+\]|[^@/:\s[\]]+):.+$/s;
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function isRemoteForm(remote: string): boolean {
  if (remote.startsWith('/')) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) {
    let url: URL;
    try {
      url = new URL(remote);
    } catch {
      return false;
    }
    if (!REMOTE_SCHEMES.has(url.protocol)) return false;
    return url.protocol === 'file:' ? url.pathname.length > 1 : url.hostname !== '';
  }
  return SCP_LIKE.test(remote);
}

const remoteField: FieldValidator<string> = (value, keyPath) => {
  if (typeof value !== 'string' || value === '') throw invalid(keyPath, 'to be a non-empty string', value);
  if (CONTROL_CHARS.test(value)) throw invalid(keyPath, 'to be free of control characters', value);
  // git would read a leading '-' as an option (e.g. --upload-pack=<command>).
  if (value.startsWith('-')) throw invalid(keyPath, "not to start with '-'", value);
  // git's `<transport>::<address>` form runs a remote helper (ext:: runs any command); never a FluxOS upstream.
  if (/^[A-Za-z0-9][A-Za-z0-9+.-]*::/.test(value))
    throw invalid(keyPath, "not to use git's <transport>::<address> form", value);
  if (!isRemoteForm(value)) {
    throw invalid(
      keyPath,
      'to be an http(s)://, ssh://, git:// or file:// URL, a scp-like user@host:path, or an absolute path',
      value,
    );
  }
  return value;
};

/** One validator per field; the mapped type makes a field added to PreProdSettings fail to compile here. */
const PRE_PROD_FIELDS: { [K in keyof PreProdSettings]: FieldValidator<PreProdSettings[K]> } = {
  probability: numberField('a number from 0 to 1', (n) => n >= 0 && n <= 1),
  daysToNextEval: numberField('a number of days greater than 0 and at most 3650', (n) => n > 0 && n <= 3650),
  branch: branchField,
  productionBranch: branchField,
  remote: remoteField,
  clockSkewMinutes: numberField('a number of minutes from 0 to 1440', (n) => n >= 0 && n <= 1440),
  maxUnhealthyBoots: numberField('a whole number from 1 to 1000', (n) => Number.isInteger(n) && n >= 1 && n <= 1000),
  healthyAfterMs: millisecondsField(86_400_000),
  bootDeadlineMs: millisecondsField(3_600_000),
  fetchTimeoutMs: millisecondsField(3_600_000),
  installCommand: installCommandField,
  arcaneOsInstallArgs: installArgsField,
  installTimeoutMs: millisecondsField(86_400_000),
  restart: restartField,
  storeWaitMs: millisecondsField(600_000),
  recheckHours: numberField('a number of hours from 0.01 to 720', (n) => n >= 0.01 && n <= 720),
};

const PRE_PROD_KEYS = Object.keys(PRE_PROD_FIELDS) as (keyof PreProdSettings)[];

/**
 * Validates merged settings into `Settings`. Only `preProd` is read: keys beside
 * it belong to the host. Inside `preProd` every field is required and unknown
 * keys are errors, so a typo cannot silently fall back to a default.
 * Throws `PreprodError('config-invalid')` naming the first problem.
 */
export function validateSettings(merged: unknown): Settings {
  if (typeof merged !== 'object' || merged === null || Array.isArray(merged)) {
    throw new PreprodError('config-invalid', `Expected the settings to be an object, got ${describeValue(merged)}.`);
  }
  const raw = Object.hasOwn(merged, 'preProd') ? (merged as Record<string, unknown>).preProd : undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid('preProd', 'to be an object', raw);
  }
  const section = raw as Record<string, unknown>;
  for (const key of Object.keys(section)) {
    if (!Object.hasOwn(PRE_PROD_FIELDS, key)) {
      throw new PreprodError('config-invalid', `Unknown setting \`preProd.${escapeText(key, MAX_SHOWN_CHARS)}\`.`);
    }
  }
  const preProd: Record<string, unknown> = {};
  for (const key of PRE_PROD_KEYS) {
    // Own properties only: a polluted Object.prototype must not supply a setting.
    const value = Object.hasOwn(section, key) ? section[key] : undefined;
    preProd[key] = PRE_PROD_FIELDS[key](value, `preProd.${key}`);
  }
  const settings = { preProd: preProd as unknown as PreProdSettings };
  if (settings.preProd.branch === settings.preProd.productionBranch) {
    throw new PreprodError(
      'config-invalid',
      `Expected \`preProd.branch\` to differ from \`preProd.productionBranch\`, got ` +
        `${describeValue(settings.preProd.branch)} for both.`,
    );
  }
  return settings;
}

/** The packaged defaults, validated; a fresh object on every call. */
export function defaultSettings(): Settings {
  return validateSettings(mergeFragments(defaults));
}

// ---------------------------------------------------------------------------
// The one loader

function cannotRead(file: string, reason: string, cause?: unknown): PreprodError {
  return new PreprodError('config-invalid', `Cannot read config file ${shownPath(file)}: ${reason}.`, { cause });
}

export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readRegularFileSync(file, { maxBytes: MAX_CONFIG_BYTES });
  } catch (error) {
    throw cannotRead(file, error instanceof FileReadError ? error.reason : fsErrorReason(error), error);
  }
  // Editors on Windows save a byte-order mark that JSON.parse rejects.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw cannotRead(file, 'it is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw cannotRead(file, jsonErrorReason(error, body), error);
  }
  if (!isPlainObject(parsed)) throw cannotRead(file, `expected a JSON object, got ${describeValue(parsed)}`);
  return parsed;
}

/**
 * Settings from the packaged defaults, then FluxOS's own `{ preProd }` block
 * (`fluxos`, read by fluxosConfig.ts for the CLI on a FluxOS node), then the
 * JSON `configFile` (if given), then the host's `overrides` object (if given),
 * validated. Synchronous: it runs once at boot, before anything else can use
 * the settings.
 */
export function readSettings(
  options: { configFile?: string; overrides?: unknown; fluxos?: Record<string, unknown> } = {},
): Settings {
  const fromFile = options.configFile === undefined ? undefined : readConfigFile(path.resolve(options.configFile));
  const overrides = options.overrides;
  if (overrides !== undefined && overrides !== null && !isPlainObject(overrides)) {
    throw new PreprodError(
      'config-invalid',
      `Expected the settings overrides to be an object, got ${describeValue(overrides)}.`,
    );
  }
  return validateSettings(mergeFragments(defaults, options.fluxos, fromFile, overrides));
}
