/**
 * Who holds a lock, told apart from a later process that got the same PID (PID namespaces,
 * containers where FluxOS is PID 1 after every restart): the PID, the process's start time
 * (field 22 of /proc/<pid>/stat, in clock ticks since boot) and the kernel's boot id. Where
 * /proc is missing the start time and boot id are null and the PID alone is used.
 */
import { parseProcStat } from './procfs';
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Clock ticks after boot at which the process started; null where unknown. */
  startTime: string | null;
  /** /proc/sys/kernel/random/boot_id; null where unknown. */
  bootId: string | null;
}

/** Field 22 (starttime) of a /proc/<pid>/stat line, as a string, or null. Pure: parsed by procfs.ts. */
export function parseStartTime(statLine: string): string | null {
  const startTime = parseProcStat(statLine)?.startTime;
  return startTime === null || startTime === undefined ? null : String(startTime);
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The start time of process `pid`, or null when it is gone or /proc cannot tell. */
export function processStartTime(pid: number, procRoot = '/proc'): string | null {
  const stat = readText(`${procRoot}/${pid}/stat`);
  return stat === null ? null : parseStartTime(stat);
}

/** This boot of the machine, or null. */
export function currentBootId(procRoot = '/proc'): string | null {
  const text = readText(`${procRoot}/sys/kernel/random/boot_id`)?.trim();
  return text && /^[0-9a-f-]{8,64}$/i.test(text) ? text : null;
}

/** The identity of this process. */
export function ownIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid), bootId: currentBootId() };
}

/** "pid startTime bootId", the content of a lock file; "-" for an unknown field. */
export function formatIdentity(identity: ProcessIdentity): string {
  return `${identity.pid} ${identity.startTime ?? '-'} ${identity.bootId ?? '-'}\n`;
}

/** Reads formatIdentity()'s text, or a bare PID (locks written before identities); null for anything else. Pure. */
export function parseIdentity(text: string): ProcessIdentity | null {
  const [pidText, start, boot, extra] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!/^\d{1,10}$/.test(pidText ?? '') || !Number.isSafeInteger(pid) || pid <= 0 || extra !== undefined) return null;
  const startTime = start !== undefined && /^\d+$/.test(start) ? start : null;
  const bootId = boot !== undefined && boot !== '-' ? boot : null;
  return { pid, startTime, bootId };
}

/**
 * Whether the process a lock names still runs: a different boot, a PID with no process, or
 * a PID whose process started at another time (the PID was reused) all mean it does not.
 * `alive(pid)` is kill(pid, 0); the two readers default to /proc.
 */
export function holderIsRunning(
  holder: ProcessIdentity,
  alive: (pid: number) => boolean,
  startTimeOf: (pid: number) => string | null = processStartTime,
  bootId: string | null = currentBootId(),
): boolean {
  if (holder.bootId !== null && bootId !== null && holder.bootId !== bootId) return false;
  if (!alive(holder.pid)) return false;
  if (holder.startTime === null) return true;
  const now = startTimeOf(holder.pid);
  return now === null || now === holder.startTime;
}
