/**
 * Writes the HTML report: to a temporary file beside the target, then renamed
 * over it, so a reader never sees half a report.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PreprodError, describeError } from '../../errors';
import { shownPath } from '../../config/settings';
import type { GateReport } from '../gate';
import { gateHtml } from './html';

export async function writeHtmlReport(report: GateReport, file: string): Promise<void> {
  const target = path.resolve(file);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temporary, gateHtml(report), { flag: 'wx', mode: 0o644 });
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    throw new PreprodError('usage', `Cannot write the HTML report ${shownPath(target)}: ${describeError(error)}.`, {
      cause: error,
    });
  }
}
