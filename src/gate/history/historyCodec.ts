/**
 * The file form of a history: one header line, then one line per scan, each
 * `<JSON>\t<checksum>\n`. A scan is one write; a process killed in the middle
 * of it leaves a last line without its newline or with a wrong checksum, which
 * a reader ignores and the next writer cuts off, so earlier scans are never
 * touched. JSON never holds a raw tab or newline, so the framing is
 * unambiguous. Pure: bytes in, records out.
 */
import { createHash } from 'node:crypto';
import { decodeHealthColumn } from '../../health/encode';
import type { NodeChange } from './observation';
import { healthProblem, rememberColumn } from './healthColumn';
import { type Counts, emptyCounts, type ScanRecord, type ScanTotals } from './scanRecord';
import { describeValue } from '../../text';

export const HISTORY_FORMAT = 'fluxos-preprod-history';
export const HISTORY_VERSION = 1;

/** Why a history cannot be read: the line (1-based) and one sentence. */
export class HistoryFormatError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

function checksum(json: string): string {
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}

export function encodeLine(value: unknown): string {
  const json = JSON.stringify(value);
  return `${json}\t${checksum(json)}\n`;
}

export function headerLine(): string {
  return encodeLine({ format: HISTORY_FORMAT, version: HISTORY_VERSION });
}

/**
 * The longest line read: a first scan of a whole fleet stores every node, about
 * 130 bytes each (1.7 MB for 13,000 nodes), and fields are capped at MAX_FIELD,
 * so 64 MiB is room for ~50,000 nodes of the longest kind while a file of one
 * endless line cannot take the reader's memory.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** A scan is three levels deep (scan → totals → counts, scan → changes → change); more is not a history. */
export const MAX_NESTING = 8;

/** How deep `json` nests objects and arrays, counted up to `limit` + 1 (strings skipped). Pure, linear. */
export function nestingDepth(json: string, limit = MAX_NESTING): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i += 1) {
    const ch = json.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (ch === 0x7d || ch === 0x5d) depth -= 1;
  }
  return deepest;
}

/** The JSON of one complete line, or null when its checksum does not match (a torn or damaged line). */
export function decodeLine(line: string): unknown {
  const tab = line.lastIndexOf('\t');
  if (tab < 0) return null;
  const json = line.slice(0, tab);
  if (checksum(json) !== line.slice(tab + 1)) return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkHeader(value: unknown, line: number): void {
  if (!isObject(value) || value.format !== HISTORY_FORMAT) {
    throw new HistoryFormatError(line, 'not a fluxos-preprod history file');
  }
  if (value.version !== HISTORY_VERSION) {
    throw new HistoryFormatError(
      line,
      `history format version ${describeValue(value.version)} is not supported (expected ${HISTORY_VERSION})`,
    );
  }
}

const CHANGE_STRINGS = ['f', 'v', 'c', 'r'] as const;
const MODES = new Set(['preprod', 'production', 'unknown', null]);
const COHORT_CODES = new Set(['s', 'n', 'u']);
const MAX_FIELD = 200;

function isNullableString(value: unknown): boolean {
  return value === null || (typeof value === 'string' && value.length <= MAX_FIELD);
}

function changeProblem(value: unknown): string | null {
  if (!isObject(value)) return 'a change is not an object';
  if (typeof value.n !== 'string' || value.n === '' || value.n.length > MAX_FIELD) return 'a change has no node';
  for (const key of ['q', 'a'] as const) {
    if (key in value && value[key] !== 0 && value[key] !== 1) return `a change has a bad \`${key}\``;
  }
  for (const key of CHANGE_STRINGS)
    if (key in value && !isNullableString(value[key])) return `a change has a bad \`${key}\``;
  if ('m' in value && !MODES.has(value.m as string | null)) return 'a change has a bad `m`';
  if ('k' in value && !COHORT_CODES.has(value.k as string)) return 'a change has a bad `k`';
  return healthProblem(value);
}

/**
 * A stored count map as a null-prototype object (keys are strings from
 * nodes: issue 17 §1). An entry whose count is not a whole number is dropped
 * rather than making the history unreadable: a recorder before the fix
 * stored `"function Object() { [native code] }1"` for a node answering
 * `constructor`, and such a line must stay readable. Null when it is not an
 * object at all.
 */
export function repairCounts(value: unknown): Counts | null {
  if (!isObject(value)) return null;
  const counts = emptyCounts();
  for (const [key, n] of Object.entries(value))
    if (Number.isSafeInteger(n) && (n as number) >= 0) counts[key] = n as number;
  return counts;
}

const TOTAL_NUMBERS = ['asked', 'answered', 'preprod', 'production', 'unknown', 'selected', 'notSelected'] as const;
const TOTAL_COUNTS = ['failed', 'byReason', 'preprodVersions'] as const;

/** The totals, checked and with their count maps repaired; a sentence when they cannot be used. */
function checkTotals(value: unknown): ScanTotals | string {
  if (!isObject(value)) return 'its totals are not an object';
  for (const key of TOTAL_NUMBERS) {
    if (!Number.isInteger(value[key]) || (value[key] as number) < 0) return `its totals have a bad \`${key}\``;
  }
  const totals = { ...value } as unknown as ScanTotals;
  for (const key of TOTAL_COUNTS) {
    const counts = repairCounts(value[key]);
    if (counts === null) return `its totals have a bad \`${key}\``;
    totals[key] = counts;
  }
  return totals;
}

/**
 * Checks a decoded scan line from the file (which anyone may have edited) and
 * returns it typed. `previous` is the scan before it: sequence numbers are
 * consecutive and times strictly increase.
 */
export function checkScan(value: unknown, line: number, previous: ScanRecord | null): ScanRecord {
  const fail = (problem: string): never => {
    throw new HistoryFormatError(line, problem);
  };
  if (!isObject(value)) return fail('a scan is not an object');
  const expectedSeq = previous === null ? 1 : previous.seq + 1;
  if (value.seq !== expectedSeq) fail(`expected scan number ${expectedSeq}, got ${describeValue(value.seq)}`);
  const at = typeof value.at === 'string' ? Date.parse(value.at) : Number.NaN;
  if (!Number.isFinite(at)) fail('the scan has no valid time');
  if (previous !== null && at <= Date.parse(previous.at)) fail('the scan is not later than the one before');
  const totals = checkTotals(value.totals);
  if (typeof totals === 'string') return fail(totals);
  if (!Array.isArray(value.changes)) return fail('the scan has no list of changes');
  for (const change of value.changes) {
    const problem = changeProblem(change);
    if (problem !== null) fail(problem);
  }
  // The column's indices are checked against the node table as it is replayed (NodeTable.apply), its form here.
  const column = 'health' in value ? decodeHealthColumn(value.health, Number.POSITIVE_INFINITY) : [];
  if (column === null) return fail('the scan has a bad health column');
  // Canonical ISO: a time is shown as the recorder wrote it, never as free text that Date.parse happened to accept.
  const record: ScanRecord = {
    seq: value.seq as number,
    at: new Date(at).toISOString(),
    totals,
    changes: value.changes as NodeChange[],
  };
  if (typeof value.health === 'string' && value.health !== '') {
    record.health = value.health;
    rememberColumn(record, column);
  }
  return record;
}

export interface DecodedHistory {
  scans: ScanRecord[];
  /** Bytes of complete, valid lines: where the next scan is written (a torn tail beyond it is cut off). */
  validBytes: number;
  /** A torn or damaged last line was ignored. */
  tornTail: boolean;
}

const NEWLINE = 0x0a;

/**
 * Decodes a history file fed in chunks (so a long one can show progress). A
 * last line without its newline, or a last line whose checksum fails, is a
 * write that did not finish: ignored. A bad line followed by good ones is
 * damage, and an error. UTF-8 never has a 0x0a byte inside a character, so
 * lines are cut on bytes.
 */
export class HistoryDecoder {
  readonly scans: ScanRecord[] = [];
  private pending: Buffer[] = [];
  private lineNo = 0;
  private validBytes = 0;
  private consumed = 0;
  private damagedLine = 0;

  private pendingBytes = 0;

  feed(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, end);
      const line = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.pending = [];
      this.pendingBytes = 0;
      this.checkLength(line.length);
      this.line(line.toString('utf8'), line.length + 1);
      start = end + 1;
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      this.checkLength(this.pendingBytes);
    }
  }

  /** A line longer than MAX_LINE_BYTES is refused before it is held whole in memory. */
  private checkLength(bytes: number): void {
    if (bytes > MAX_LINE_BYTES)
      throw new HistoryFormatError(this.lineNo + 1, `the line is longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB`);
  }

  private line(text: string, bytes: number): void {
    this.lineNo += 1;
    if (this.damagedLine > 0)
      throw new HistoryFormatError(this.damagedLine, 'the line is damaged (its checksum does not match)');
    this.consumed += bytes;
    // Refused, not ignored as torn: a line with a good checksum is someone's data, and a writer never cuts it off.
    if (nestingDepth(text) > MAX_NESTING)
      throw new HistoryFormatError(this.lineNo, `the line nests deeper than ${MAX_NESTING} levels`);
    const decoded = decodeLine(text);
    if (decoded === null && this.lineNo === 1) throw new HistoryFormatError(1, 'not a fluxos-preprod history file');
    if (decoded === null) {
      // Damage only if another line follows; a bad last line is an unfinished write.
      this.damagedLine = this.lineNo;
      return;
    }
    if (this.lineNo === 1) checkHeader(decoded, 1);
    else
      this.scans.push(
        checkScan(decoded, this.lineNo, this.scans.length > 0 ? this.scans[this.scans.length - 1] : null),
      );
    this.validBytes = this.consumed;
  }

  end(): DecodedHistory {
    if (this.lineNo === 0 && this.pending.length > 0) {
      // A first line cut short must be the start of our header; anything else is someone else's file, never cut off.
      const head = Buffer.concat(this.pending).toString('utf8');
      if (!headerLine().startsWith(head)) throw new HistoryFormatError(1, 'not a fluxos-preprod history file');
    }
    const tornTail = this.pending.length > 0 || this.damagedLine > 0;
    return { scans: this.scans, validBytes: this.validBytes, tornTail };
  }
}

export function decodeHistory(bytes: Buffer): DecodedHistory {
  const decoder = new HistoryDecoder();
  decoder.feed(bytes);
  return decoder.end();
}
