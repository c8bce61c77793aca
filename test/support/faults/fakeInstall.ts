/**
 * A stand-in for `npm install` in the fault-injection tests: a few hundred
 * milliseconds of writes into node_modules (ignored by git), so a kill can
 * land in the middle of an install. Its last step records which
 * package-lock.json it installed, written atomically, so a test can tell a
 * finished install from an interrupted one.
 *
 * Usage (cwd = the checkout): node fakeInstall.js [durationMs]
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const INSTALL_DIR = path.join('node_modules', '.fake-install');
export const INSTALLED_FILE = path.join(INSTALL_DIR, 'installed.json');

async function main(): Promise<void> {
  const durationMs = Number(process.argv[2] ?? 150);
  const lock = await fs.readFile('package-lock.json');
  const dir = path.resolve(INSTALL_DIR);
  await fs.mkdir(dir, { recursive: true });
  const steps = 10;
  for (let i = 0; i < steps; i += 1) {
    await fs.writeFile(path.join(dir, `module${i}.js`), `module.exports = ${i};\n`);
    await new Promise((resolve) => setTimeout(resolve, durationMs / steps));
  }
  const temp = path.join(dir, `installed.${process.pid}.tmp`);
  await fs.writeFile(temp, JSON.stringify({ lockSha256: createHash('sha256').update(lock).digest('hex') }));
  await fs.rename(temp, path.resolve(INSTALLED_FILE));
}

// Only as a program: the tests import INSTALLED_FILE from here.
if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`fake install failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
