/**
 * The two flags this package reads from the operator's FluxOS
 * `config/userconfig.js` (CommonJS, `module.exports = { initial: {...} }`).
 * The file is read, never run (docs/design.md §3): the FluxOS user can write it,
 * and root runs `fluxos-preprod status`.
 */
import * as path from 'node:path';
import { PreprodError } from '../errors';
import { FileReadError, readRegularFileSync } from '../os/readFile';
import { describeValue, shownPath } from '../text';
import { NotLiteral, UnreadableSource, findNotLiteral, staticExports } from './userconfigLiteral';
import type { UserFlags } from '../types';

/** FluxOS's userconfig.js is a few KiB, PGP keys included. */
const MAX_USERCONFIG_BYTES = 1024 * 1024;

function cannotLoad(file: string, reason: string, cause?: unknown): PreprodError {
  return new PreprodError('userconfig-invalid', `Cannot load ${shownPath(file)}: ${reason}.`, { cause });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof NotLiteral);
}

function notPlain(name: string, file: string, marker: NotLiteral): PreprodError {
  return new PreprodError(
    'userconfig-invalid',
    `Expected \`initial.${name}\` in ${shownPath(file)} to be a plain value, ` +
      `got ${marker.what} (the file is read, never run).`,
  );
}

function parseDisablePreProd(value: unknown, file: string): boolean | undefined {
  const marker = findNotLiteral(value);
  if (marker) throw notPlain('disablePreProd', file, marker);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  // Operators edit this file by hand; "true" and 1 mean what they look like.
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (word === 'true') return true;
    if (word === 'false') return false;
  }
  if (value === 1) return true;
  if (value === 0) return false;
  throw new PreprodError(
    'userconfig-invalid',
    `Expected \`initial.disablePreProd\` in ${shownPath(file)} to be true or false, got ${describeValue(value)}.`,
  );
}

function parseDevelopment(value: unknown, file: string): boolean {
  const marker = findNotLiteral(value);
  if (marker) throw notPlain('development', file, marker);
  return Boolean(value);
}

/**
 * The flags from what a userconfig.js exports (the object FluxOS loaded, or the file's
 * literal read statically). `development` follows FluxOS (any truthy value, even the string
 * "false"); `disablePreProd` is strict because an opt-out read wrongly moves a node the
 * operator meant to keep still. `file` is only used in messages.
 */
export function parseUserFlags(exported: unknown, file: string): UserFlags {
  if (exported instanceof NotLiteral) {
    throw cannotLoad(file, `its \`module.exports\` is ${exported.what}, not an object literal`);
  }
  if (!isObject(exported)) throw cannotLoad(file, `it exports ${describeValue(exported)}, not an object`);
  const initial = exported.initial;
  if (initial instanceof NotLiteral) {
    throw cannotLoad(file, `its \`initial\` is ${initial.what}, not an object literal`);
  }
  if (!isObject(initial)) throw cannotLoad(file, `its \`initial\` is ${describeValue(initial)}, not an object`);
  return {
    development: parseDevelopment(initial.development, file),
    disablePreProd: parseDisablePreProd(initial.disablePreProd, file),
  };
}

/**
 * Reads `file` without executing it and returns its flags. A missing file is a node
 * without opt-outs: `{ development: false, disablePreProd: undefined }`. Anything else
 * that prevents reading the flags (not a regular file, over 1 MiB, a syntax error, flags
 * computed by code) throws `PreprodError('userconfig-invalid')`.
 */
export function readUserFlags(file: string): UserFlags {
  const where = path.resolve(file);
  let source: string;
  try {
    source = readRegularFileSync(where, { maxBytes: MAX_USERCONFIG_BYTES });
  } catch (error) {
    if (error instanceof FileReadError && error.problem === 'missing') {
      return { development: false, disablePreProd: undefined };
    }
    throw cannotLoad(where, error instanceof FileReadError ? error.reason : 'it cannot be read', error);
  }
  let exported: unknown;
  try {
    exported = staticExports(source.charCodeAt(0) === 0xfeff ? source.slice(1) : source);
  } catch (error) {
    if (error instanceof UnreadableSource) throw cannotLoad(where, error.reason, error);
    throw error;
  }
  return parseUserFlags(exported, where);
}
