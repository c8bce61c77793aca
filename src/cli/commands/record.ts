/**
 * `fleet … --record STORE [--at ISO]` (docs/design.md §11): stores the scan
 * in a history. Bad usage (a malformed time, a time not later than the
 * latest recorded scan) exits 2 before anything is scanned; a scan that
 * cannot be stored exits 1 after the report is printed.
 */
import type { Command } from 'commander';
import { PreprodError, describeError } from '../../errors';
import type { NodeResult } from '../../fleet/scan';
import type { HistoryStore } from '../../gate/history/history';
import type { ScanRecord } from '../../gate/history/scanRecord';

/** ISO-8601 date and time with a zone: `2026-03-01T12:00:00Z`, `…T12:00+01:00`, fractions allowed. */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** Date.parse rolls 2026-02-31 over into March; a calendar date must exist as written. */
function isIsoTime(raw: string): boolean {
  const match = ISO_TIME.exec(raw);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function shown(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

/** A commander option parser for an ISO-8601 time; returns it normalised (`toISOString`). */
export function isoTime(name: string) {
  return (raw: string): string => {
    const ms = isIsoTime(raw) ? Date.parse(raw) : Number.NaN;
    if (!Number.isFinite(ms)) {
      throw new PreprodError(
        'usage',
        `Expected \`${name}\` to be an ISO-8601 time with a zone like 2026-03-01T12:00:00Z, got ${shown(raw)}.`,
      );
    }
    return new Date(ms).toISOString();
  };
}

export function addRecordOptions(command: Command): Command {
  return command
    .option('--record <store>', 'store the scan in a history: file:PATH or mongodb://host:port[/db]')
    .option(
      '--at <iso>',
      'with --record: the time to stamp the scan with (later than the latest recorded one)',
      isoTime('--at'),
    );
}

function notLater(at: string, latest: string): PreprodError {
  return new PreprodError(
    'usage',
    `Expected \`--at\` to be later than the latest recorded scan (${latest}), got ${at}.`,
  );
}

export interface Recorder {
  /** Give every node's result here (runFleet's onNode). */
  collect(result: NodeResult): void;
  /** Stores the scan; resolves with the exit code: 0 stored, 1 not stored (the reason is on stderr), 2 bad --at. */
  finish(): Promise<number>;
  /** Stores the scan; throws what went wrong. For `fleet watch`, which keeps one recorder per scan. */
  store(): Promise<ScanRecord>;
}

export interface RecordOptions {
  record?: string;
  at?: string;
}

/**
 * Checks the record options before the scan and returns a recorder, or null
 * without --record. Throws a usage error for --at without --record, a bad
 * store URL, or an --at not later than the latest recorded scan. A history that
 * cannot be read here does not stop the scan: storing it will report that.
 */
export async function prepareRecord(
  options: RecordOptions,
  stderr: NodeJS.WritableStream,
  now = () => new Date(),
): Promise<Recorder | null> {
  if (options.record === undefined) {
    if (options.at !== undefined) throw new PreprodError('usage', 'Give `--at` only with `--record STORE`.');
    return null;
  }
  const { openHistory, historyKind } = await import('../../gate/history/history');
  historyKind(options.record, '--record');
  const started = now().toISOString();
  if (options.at !== undefined) {
    const at = options.at;
    const latest = await latestScanTime(options.record);
    if (latest !== null && Date.parse(at) <= Date.parse(latest)) throw notLater(at, latest);
  }
  const url = options.record;
  return createRecorder(() => openHistory(url, '--record'), options.at ?? started, stderr);
}

async function latestScanTime(url: string): Promise<string | null> {
  const { openHistory } = await import('../../gate/history/history');
  let history: HistoryStore | null = null;
  try {
    history = await openHistory(url, '--record');
    const scans = await history.read();
    return scans.length > 0 ? scans[scans.length - 1].at : null;
  } catch (error) {
    if (error instanceof PreprodError && error.kind === 'usage') throw error;
    return null;
  } finally {
    await history?.close().catch(() => undefined);
  }
}

/** A recorder writing to the history `open` gives, stamping the scan with `at`. */
export function createRecorder(
  open: () => Promise<HistoryStore>,
  at: string,
  stderr: NodeJS.WritableStream,
  options: { keepOpen?: boolean } = {},
): Recorder {
  const results: NodeResult[] = [];
  const store = async (): Promise<ScanRecord> => {
    const { buildScan, observeScan } = await import('../../gate/history/scanRecord');
    const history = await open();
    try {
      return await history.append((tail) => {
        if (tail.at !== null && Date.parse(at) <= Date.parse(tail.at)) throw notLater(at, tail.at);
        return buildScan(tail.table, observeScan(tail.table, results), at, tail.seq + 1);
      });
    } finally {
      if (!options.keepOpen) await history.close().catch(() => undefined);
    }
  };
  return {
    collect: (result) => void results.push(result),
    store,
    async finish(): Promise<number> {
      try {
        const record = await store();
        stderr.write(`recorded scan ${record.seq} at ${record.at} (${record.changes.length} node changes)\n`);
        return 0;
      } catch (error) {
        const usage = error instanceof PreprodError && error.kind === 'usage';
        const message = error instanceof PreprodError ? error.message : `${describeError(error)}.`;
        stderr.write(`fluxos-preprod: ${usage ? '' : 'The scan was not recorded: '}${message}\n`);
        return usage ? 2 : 1;
      }
    },
  };
}
