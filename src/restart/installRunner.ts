/**
 * The detached dependency install of startDetachedInstall(): run as
 * `node installRunner.js [--detach] <json>`. With --detach it starts a copy of
 * itself in a new session and exits, so the copy no longer descends from
 * FluxOS and nodemon's restart does not kill it.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, utimesSync, writeFileSync } from 'node:fs';
import { describeError } from '../errors';
import { runInstall, type DetachedInstall } from './install';
import { startWaitsForInstall } from './installRecord';

function parseJob(text: string | undefined): DetachedInstall | null {
  try {
    const job = JSON.parse(text ?? '') as DetachedInstall;
    const ok =
      typeof job.dir === 'string' &&
      Array.isArray(job.argv) &&
      job.argv.every((a) => typeof a === 'string') &&
      typeof job.timeoutMs === 'number' &&
      typeof job.logFile === 'string' &&
      (job.touchFile === null || typeof job.touchFile === 'string') &&
      (job.restartMarker === undefined || typeof job.restartMarker === 'string');
    return ok ? job : null;
  } catch {
    return null;
  }
}

function note(job: DetachedInstall, line: string): void {
  try {
    // The package's own files are 0600.
    appendFileSync(job.logFile, `${new Date().toISOString()} ${line}\n`, { mode: 0o600 });
  } catch {
    // nowhere to say it; the next boot's log shows the state of node_modules anyway
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const detach = args[0] === '--detach';
  const job = parseJob(detach ? args[1] : args[0]);
  if (!job) return 2;
  if (detach) {
    const options = { cwd: job.dir, detached: true, stdio: 'ignore' } as const;
    const copy = spawn(process.execPath, [__filename, JSON.stringify(job)], options);
    copy.on('error', () => undefined);
    copy.unref();
    return 0;
  }
  let group: number | null = null;
  try {
    const { ms } = await runInstall(job.dir, job.argv, job.timeoutMs, undefined, { onGroup: (pid) => (group = pid) });
    note(job, `install finished in ${ms} ms`);
  } catch (error) {
    note(job, `install failed: ${describeError(error)}`);
  }
  // A FluxOS start that waited in the guard for this install goes on by itself: a touch would start it twice.
  if (group !== null && startWaitsForInstall(job.dir, group)) {
    note(job, 'a FluxOS start waits for this install and goes on when it ends: no restart needed');
    return 0;
  }
  if (job.touchFile && job.restartMarker) {
    try {
      // The same shape the boot writes (boot/restartMarker.ts): the boot the touch ends is not counted.
      writeFileSync(job.restartMarker, `${JSON.stringify({ by: 'install', at: new Date().toISOString() })}\n`, {
        mode: 0o600,
      });
    } catch (error) {
      note(job, `could not write ${job.restartMarker}: ${describeError(error)}`);
    }
  }
  if (job.touchFile) {
    try {
      const now = new Date();
      utimesSync(job.touchFile, now, now);
    } catch (error) {
      note(job, `could not touch ${job.touchFile}: ${describeError(error)}`);
    }
  }
  return 0;
}

void main().then((code) => {
  process.exitCode = code;
});
