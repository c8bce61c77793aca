/**
 * Scan targets: `host[:port]` lines, CLI arguments, or the JSON node list that
 * FluxOS's daemon publishes. Pure: text in, targets and problems out. A target
 * list is assembled by hand or fetched from strangers, so a bad line is a
 * reported problem, never a reason to drop the whole list.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { PreprodError } from '../errors';
import { dataArrayOffset, elementOffsets, lineOf, lineStarts } from './jsonOffsets';

export const DEFAULT_API_PORT = 16127;

export interface Target {
  /** A lower-case hostname, a dotted IPv4 address, or an IPv6 address without brackets (canonical form). */
  host: string;
  port: number;
  /**
   * The IP address to connect to when `host` is a name from a node list that
   * was resolved and checked (screen.ts): the scan connects there rather than
   * to whatever a second lookup would return.
   */
  address?: string;
}

export interface TargetProblem {
  /** 1-based line of the text where the bad line or JSON entry starts. */
  line: number;
  /** 0-based index of the bad entry in a JSON node list; absent for the line format. */
  index?: number;
  message: string;
}

export interface ParsedTargets {
  targets: Target[];
  problems: TargetProblem[];
  /**
   * `node-list` for the JSON node list (fetched from strangers: screen it,
   * see screen.ts), `lines` for `host[:port]` lines (written by the operator).
   */
  format: 'node-list' | 'lines';
}

type HostPort = { ok: true; target: Target } | { ok: false; message: string };

const MAX_ECHO = 80;

/** Shows a rejected value in a message without letting it flood or corrupt a terminal. */
function echo(value: string): string {
  const cut = value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value;
  return JSON.stringify(cut);
}

function expectation(value: string, why: string): string {
  const what = 'a hostname or IP address with an optional port 1..65535';
  return `Expected \`host[:port]\` to be ${what}, got ${echo(value)} (${why}).`;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function isHostname(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (!labels.every((label) => LABEL.test(label))) return false;
  // An all-numeric last label is a malformed IPv4 address (e.g. 1.2.3.256), not a name: URL parsers treat it so.
  return !/^[0-9]+$/.test(labels[labels.length - 1]);
}

function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** `::1` and `0:0:0:0:0:0:0:1` are the same node; compare them in one spelling. */
function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** Parses one `host[:port]`; IPv6 with a port is written `[addr]:port`, a bare IPv6 address takes the default port. */
export function parseHostPort(input: string, defaultPort = DEFAULT_API_PORT): HostPort {
  const text = input.trim();
  if (text === '') return { ok: false, message: expectation(input, 'it is empty') };
  if (/\s/.test(text)) return { ok: false, message: expectation(input, 'it contains whitespace') };
  if (text.includes('://')) return { ok: false, message: expectation(input, 'give the host, not a URL with a scheme') };
  if (text.includes('/')) return { ok: false, message: expectation(input, 'it contains "/"') };
  if (text.includes('@')) return { ok: false, message: expectation(input, 'it contains user information') };

  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { ok: false, message: expectation(input, 'the "[" of an IPv6 address is not closed') };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return { ok: false, message: expectation(input, 'unexpected text after "]"') };
      portText = rest.slice(1);
    }
    if (!isIPv6(host) || host.includes('%')) {
      return { ok: false, message: expectation(input, 'the bracketed part is not an IPv6 address') };
    }
    host = canonicalIPv6(host);
  } else if (text.indexOf(':') !== text.lastIndexOf(':')) {
    if (!isIPv6(text) || text.includes('%')) {
      return { ok: false, message: expectation(input, 'write an IPv6 address with a port as [addr]:port') };
    }
    host = canonicalIPv6(text);
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    host = host.toLowerCase();
    if (!isIPv4(host) && !isHostname(host)) {
      return { ok: false, message: expectation(input, 'the host is neither a hostname nor an IP address') };
    }
  }

  let port = defaultPort;
  if (portText !== undefined) {
    const parsed = parsePort(portText);
    if (parsed === undefined) return { ok: false, message: expectation(input, 'the port is not a number 1..65535') };
    port = parsed;
  }
  return { ok: true, target: { host, port } };
}

/** One CLI argument `host[:port]`; a bad one is a usage error (exit code 2). */
export function parseTargetArg(arg: string, defaultPort = DEFAULT_API_PORT): Target {
  const parsed = parseHostPort(arg, defaultPort);
  if (!parsed.ok) throw new PreprodError('usage', parsed.message);
  return parsed.target;
}

/** Several CLI arguments, duplicates removed; the first bad one is a usage error. */
export function parseTargetArgs(args: readonly string[], defaultPort = DEFAULT_API_PORT): Target[] {
  return uniqueTargets(args.map((arg) => parseTargetArg(arg, defaultPort)));
}

/** The display form of a target: `host:port`, `[v6]:port`. */
export function formatTarget(target: Target): string {
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

/** Drops repeated host:port pairs, keeping the first occurrence and the order. */
export function uniqueTargets(targets: readonly Target[]): Target[] {
  const seen = new Set<string>();
  const out: Target[] = [];
  for (const target of targets) {
    const key = formatTarget(target);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(target);
  }
  return out;
}

/**
 * Parses a targets file: either the JSON node list (a top-level array, or the
 * FluxOS API envelope `{ status, data: [...] }` around it), or one
 * `host[:port]` per line with blank lines and `#` comments.
 */
export function parseTargets(text: string, defaultPort = DEFAULT_API_PORT): ParsedTargets {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const json = tryJsonList(body);
  return json ? parseJsonList(body, json, defaultPort) : parseLines(body, defaultPort);
}

function parseLines(text: string, defaultPort: number): ParsedTargets {
  const targets: Target[] = [];
  const problems: TargetProblem[] = [];
  text.split(/\r?\n|\r/).forEach((raw, i) => {
    // '#' never occurs in a host or a port, so everything after it is a comment.
    const hash = raw.indexOf('#');
    const content = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (content === '') return;
    const parsed = parseHostPort(content, defaultPort);
    if (parsed.ok) targets.push(parsed.target);
    else problems.push({ line: i + 1, message: parsed.message });
  });
  return { targets: uniqueTargets(targets), problems, format: 'lines' };
}

interface JsonList {
  entries: unknown[];
  /** Offset in the text of the `[` that opens the list. */
  start: number;
}

/**
 * Returns the node list when the text is JSON shaped like one. A line file can
 * start with `[` too (an IPv6 target), so anything that does not parse as
 * JSON falls back to the line format.
 */
function tryJsonList(text: string): JsonList | undefined {
  const first = text.search(/\S/);
  if (first < 0 || (text[first] !== '[' && text[first] !== '{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) return { entries: value, start: first };
  if (value !== null && typeof value === 'object' && Array.isArray((value as { data?: unknown }).data)) {
    const start = dataArrayOffset(text, first);
    if (start !== undefined) return { entries: (value as { data: unknown[] }).data, start };
  }
  return undefined;
}

function parseJsonList(text: string, list: JsonList, defaultPort: number): ParsedTargets {
  const lines = lineStarts(text);
  const offsets = elementOffsets(text, list.start);
  const targets: Target[] = [];
  const problems: TargetProblem[] = [];
  list.entries.forEach((entry, index) => {
    const line = lineOf(lines, offsets[index] ?? list.start);
    const ip =
      entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? (entry as { ip?: unknown }).ip : undefined;
    if (typeof ip !== 'string') {
      const got =
        entry !== null && typeof entry === 'object' && !Array.isArray(entry)
          ? `an \`ip\` of type ${describeType(ip)}`
          : describeType(entry);
      problems.push({
        line,
        index,
        message: `Expected entry ${index} to be an object with an \`ip\` string, got ${got}.`,
      });
      return;
    }
    const parsed = parseHostPort(ip, defaultPort);
    if (parsed.ok) targets.push(parsed.target);
    else problems.push({ line, index, message: `Entry ${index}: ${parsed.message}` });
  });
  return { targets: uniqueTargets(targets), problems, format: 'node-list' };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}
