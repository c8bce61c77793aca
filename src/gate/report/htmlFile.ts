/**
 * Writes the HTML report atomically (os/atomicWrite.ts), so a reader never
 * sees half a report. It is for people to open: 0644, not the package's 0600.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../../os/atomicWrite';
import { PreprodError, describeError } from '../../errors';
import { shownPath } from '../../text';
import type { GateReport } from '../judge/gate';
import { gateHtml } from './html';

export async function writeHtmlReport(report: GateReport, file: string): Promise<void> {
  const target = path.resolve(file);
  try {
    await writeFileAtomic(target, gateHtml(report), { mode: 0o644 });
  } catch (error) {
    throw new PreprodError('usage', `Cannot write the HTML report ${shownPath(target)}: ${describeError(error)}.`, {
      cause: error,
    });
  }
}
