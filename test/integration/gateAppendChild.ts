/**
 * Child process of the history kill test: appends scans to a history file in
 * a loop until it is killed. Each scan changes every one of `nodes` nodes.
 * With `slow`, every write after the first scan is cut into 1 KiB pieces a
 * millisecond apart (fault injection: the store loops over short writes), so
 * a SIGKILL lands inside a write and leaves a torn last line.
 * Usage: node gateAppendChild.js FILE NODES [slow]
 */
import { promises as fs } from 'node:fs';
import { FileHistory } from '../../src/gate/history/fileHistory';
import { observe } from '../../src/gate/history/observation';
import { buildScan } from '../../src/gate/history/scanRecord';

async function slowWrites(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  const proto = Object.getPrototypeOf(handle) as {
    write: (...args: [Buffer, number, number, number]) => Promise<{ bytesWritten: number }>;
  };
  await handle.close();
  const write = proto.write;
  proto.write = async function (this: unknown, buffer: Buffer, offset: number, length: number, position: number) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return write.call(this, buffer, offset, Math.min(length, 1024), position);
  };
}

async function main(): Promise<void> {
  const [file, nodesArg, mode] = process.argv.slice(2);
  const nodes = Number(nodesArg);
  const history = new FileHistory(file);
  for (let round = 0; ; round += 1) {
    await history.append((tail) => {
      const at = new Date(Date.parse(tail.at ?? '2026-01-01T00:00:00Z') + 3_600_000).toISOString();
      const results = Array.from({ length: nodes }, (_, i) => ({
        host: `10.0.${i >> 8}.${i & 255}`,
        port: 16127,
        kind: 'production' as const,
        ms: 1,
        version: `1.${tail.seq + 1}.${i}`,
      }));
      return buildScan(tail.table, results.map(observe), at, tail.seq + 1);
    });
    if (round === 0) {
      if (mode === 'slow') await slowWrites(file);
      process.stdout.write('appending\n');
    }
  }
}

void main();
