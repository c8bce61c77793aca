/**
 * The CLI's option parsers and the options several commands share (docs/design.md §8). A bad value is a
 * usage error (exit 2) whose one sentence names the option and echoes the value, cut short.
 */
import { statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Command, Option } from 'commander';
import { readSettings } from '../config/settings';
import { quoted, shownPath } from '../text';
import { PreprodError } from '../errors';
import { DEFAULT_STORE_URL } from '../state/storeUrl';
import type { Settings } from '../types';

export interface ReadOptions {
  repo?: string;
  store?: string;
  config?: string;
  userconfig?: string;
  json?: boolean;
  verbose?: boolean;
}

export function defaultRepo(): string {
  return process.env.FLUXOS_PATH || path.join(os.homedir(), 'zelflux');
}

/** The checkout to act on: --repo or the default, which must be an existing directory. */
export function repoDir(options: { repo?: string }): string {
  const dir = path.resolve(options.repo ?? defaultRepo());
  let problem: string | null = null;
  try {
    if (!statSync(dir).isDirectory()) problem = 'not a directory';
  } catch {
    problem = 'no such directory';
  }
  if (problem) {
    const given = options.repo === undefined ? ' (the default: $FLUXOS_PATH or ~/zelflux)' : '';
    throw usage(`Expected \`--repo\` to be the FluxOS checkout directory${given}, got ${shownPath(dir)} (${problem}).`);
  }
  return dir;
}

export function usage(message: string): PreprodError {
  return new PreprodError('usage', message);
}

/** A strict whole-number option parser: "12abc", "1e3", "" and out-of-range values are usage errors. */
export function wholeNumber(name: string, min: number, max: number) {
  return (raw: string): number => {
    const value = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw usage(`Expected \`${name}\` to be a whole number from ${min} to ${max}, got ${quoted(raw)}.`);
    }
    return value;
  };
}

export function fraction(name: string) {
  return (raw: string): number => {
    const value = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= 0 && value <= 1))
      throw usage(`Expected \`${name}\` to be a number from 0 to 1, got ${quoted(raw)}.`);
    return value;
  };
}

export function positiveNumber(name: string, min: number, max: number) {
  return (raw: string): number => {
    const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= min && value <= max))
      throw usage(`Expected \`${name}\` to be a number from ${min} to ${max}, got ${quoted(raw)}.`);
    return value;
  };
}

export function loadSettings(options: ReadOptions): Settings {
  return readSettings({ configFile: options.config });
}

export function addReadOptions(command: Command): Command {
  return command
    .option('--repo <dir>', 'the FluxOS checkout (default: $FLUXOS_PATH or ~/zelflux)')
    .option('--store <url>', `state store: mongodb://host:port[/db] or file:PATH (default: ${DEFAULT_STORE_URL})`)
    .option('--config <file>', 'JSON deep-merged over the defaults, e.g. {"preProd":{"probability":0.1}}')
    .option('--userconfig <file>', "the operator's userconfig.js (default: <repo>/config/userconfig.js)")
    .option('--verbose', 'log debug lines to stderr');
}

/** --restart of boot and serve: how to restart FluxOS onto new code (default none: report only). */
export function restartOption(): Option {
  return new Option('--restart <strategy>', 'how to restart FluxOS onto new code')
    .choices(['none', 'nodemon', 'exit', 'auto'])
    .default('none');
}
