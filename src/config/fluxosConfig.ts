/**
 * FluxOS's own `preProd` block, for the CLI on a FluxOS node (docs/design.md §8):
 * FluxOS hands the package `config.preProd` from `ZelBack/config/default.js`
 * (node-config), so `status` and `boot` read the same block, the way FluxOS
 * passes it (a plain JSON copy), instead of the package's defaults. The file is
 * parsed, never run (userconfigLiteral.ts): root runs the CLI, and the file is
 * the FluxOS user's.
 */
import * as path from 'node:path';
import { PreprodError } from '../errors';
import { FileReadError, readRegularFileSync } from '../os/readFile';
import { describeValue, shownPath } from '../text';
import { findNotLiteral, NotLiteral, staticExports, UnreadableSource } from './userconfigLiteral';

/** Where FluxOS keeps its node-config defaults, relative to the checkout. */
export const FLUXOS_CONFIG_FILE = path.join('ZelBack', 'config', 'default.js');

/** FluxOS's default.js is some 10 KiB. */
const MAX_FLUXOS_CONFIG_BYTES = 1024 * 1024;

function cannotRead(file: string, reason: string, cause?: unknown): PreprodError {
  return new PreprodError('config-invalid', `Cannot read the preProd block of ${shownPath(file)}: ${reason}.`, {
    cause,
  });
}

/**
 * The settings fragment FluxOS would pass in-process, `{ preProd: {...} }`, from
 * what a default.js exports; undefined when it has no `preProd` block (FluxOS then
 * passes none). Pure. A block computed by code cannot be known without running it:
 * that is an error, never a guess.
 */
export function preProdFragment(exported: unknown, file: string): { preProd: Record<string, unknown> } | undefined {
  if (exported instanceof NotLiteral) throw cannotRead(file, `its \`module.exports\` is ${exported.what}`);
  if (typeof exported !== 'object' || exported === null || Array.isArray(exported)) {
    throw cannotRead(file, `it exports ${describeValue(exported)}, not an object`);
  }
  const block = (exported as Record<string, unknown>).preProd;
  if (block === undefined) return undefined;
  const marker = findNotLiteral(block);
  if (marker) throw cannotRead(file, `it holds ${marker.what} (the file is read, never run)`);
  if (typeof block !== 'object' || block === null || Array.isArray(block)) {
    throw cannotRead(file, `expected \`preProd\` to be an object, got ${describeValue(block)}`);
  }
  // What FluxOS hands over: a plain JSON copy of node-config's object (undefined values dropped).
  return { preProd: JSON.parse(JSON.stringify(block)) as Record<string, unknown> };
}

/**
 * Reads `<repoDir>/ZelBack/config/default.js` and returns its preProd fragment;
 * undefined when the checkout has no such file (not a FluxOS checkout) or the
 * file has no block. Anything else that stops the read throws `config-invalid`.
 */
export function readFluxosPreProd(repoDir: string): { preProd: Record<string, unknown> } | undefined {
  const file = path.join(repoDir, FLUXOS_CONFIG_FILE);
  let source: string;
  try {
    source = readRegularFileSync(file, { maxBytes: MAX_FLUXOS_CONFIG_BYTES });
  } catch (error) {
    if (error instanceof FileReadError && error.problem === 'missing') return undefined;
    throw cannotRead(file, error instanceof FileReadError ? error.reason : 'it cannot be read', error);
  }
  let exported: unknown;
  try {
    exported = staticExports(source.charCodeAt(0) === 0xfeff ? source.slice(1) : source);
  } catch (error) {
    if (error instanceof UnreadableSource) throw cannotRead(file, error.reason, error);
    throw error;
  }
  return preProdFragment(exported, file);
}
