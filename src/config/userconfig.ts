/**
 * The two flags this package reads from the operator's FluxOS
 * `config/userconfig.js` (CommonJS, `module.exports = { initial: {...} }`).
 */
import * as fs from 'fs';
import * as path from 'path';
import Module from 'module';
import { PreprodError, describeError } from '../errors';
import { describeValue, escapeText, fsErrorReason, shownPath } from './settings';
import type { UserFlags } from '../types';

/** The internals of CommonJS modules that @types/node leaves out. */
interface CompilableModule {
  filename: string;
  paths: string[];
  exports: unknown;
  _compile(source: string, filename: string): void;
}

const ModuleInternals = Module as unknown as {
  new (id: string): CompilableModule;
  _nodeModulePaths(dir: string): string[];
};

function cannotLoad(file: string, reason: string, cause?: unknown): PreprodError {
  return new PreprodError('userconfig-invalid', `Cannot load ${shownPath(file)}: ${reason}.`, { cause });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseDisablePreProd(value: unknown, file: string): boolean | undefined {
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

/**
 * The flags from what a userconfig.js exports. `development` follows FluxOS
 * (any truthy value, even the string "false"); `disablePreProd` is strict
 * because an opt-out read wrongly moves a node the operator meant to keep still.
 * `file` is only used in messages.
 */
export function parseUserFlags(exported: unknown, file: string): UserFlags {
  // Node >= 20.19 compiles `export` syntax as an ES module and hands back its namespace,
  // where FluxOS's `require(...).initial` would find nothing.
  if (Object.prototype.toString.call(exported) === '[object Module]') throw cannotLoad(file, 'it is an ES module, not CommonJS');
  if (!isObject(exported)) throw cannotLoad(file, `it exports ${describeValue(exported)}, not an object`);
  const initial = exported.initial;
  if (!isObject(initial)) throw cannotLoad(file, `its \`initial\` is ${describeValue(initial)}, not an object`);
  return {
    development: Boolean(initial.development),
    disablePreProd: parseDisablePreProd(initial.disablePreProd, file),
  };
}

// "/x/userconfig.js:3" is the first stack line of a SyntaxError thrown while compiling that file.
function syntaxErrorReason(error: SyntaxError, file: string): string {
  const firstLine = (error.stack ?? '').split('\n')[0];
  const at = firstLine.startsWith(`${file}:`) ? /:(\d+)$/.exec(firstLine) : null;
  const where = at ? ` at line ${at[1]}` : '';
  return `syntax error${where} (${escapeText(error.message, 80)})`;
}

function compile(file: string, source: string): unknown {
  // A module object of our own, outside require.cache: every call sees the file as it is now,
  // and the host's own `require` of the same file keeps its cached copy.
  const mod = new ModuleInternals(file);
  mod.filename = file;
  mod.paths = ModuleInternals._nodeModulePaths(path.dirname(file));
  const body = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  try {
    mod._compile(body, file);
  } catch (error) {
    if (error instanceof SyntaxError && (error.stack ?? '').startsWith(`${file}:`)) {
      throw cannotLoad(file, syntaxErrorReason(error, file), error);
    }
    const name = error instanceof Error ? `${error.name}: ` : '';
    throw cannotLoad(file, `it threw ${escapeText(name + describeError(error), 100)}`, error);
  }
  return mod.exports;
}

/**
 * Loads `file` fresh (never from require's cache) and returns its flags.
 * A missing file is a node without opt-outs: `{ development: false, disablePreProd: undefined }`.
 * Anything else that prevents reading the flags throws `PreprodError('userconfig-invalid')`.
 */
export function readUserFlags(file: string): UserFlags {
  const where = path.resolve(file);
  let source: string;
  try {
    source = fs.readFileSync(where, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { development: false, disablePreProd: undefined };
    throw cannotLoad(where, fsErrorReason(error), error);
  }
  const exported = compile(where, source);
  try {
    return parseUserFlags(exported, where);
  } catch (error) {
    if (error instanceof PreprodError) throw error;
    // A getter in the file can still throw while we read the flags.
    throw cannotLoad(where, `reading its flags threw ${escapeText(describeError(error), 100)}`, error);
  }
}
