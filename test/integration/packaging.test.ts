/**
 * FluxOS is CommonJS: the built package must load with a plain require(), and
 * a TypeScript consumer must type-check against the shipped declarations.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from '../support/tmp';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');

describe('the built package as a dependency', function () {
  let consumer: { dir: string; remove: () => void };

  before(async function () {
    consumer = makeTempDir('fluxos-preprod-consumer-');
    await fs.mkdir(path.join(consumer.dir, 'node_modules'));
    await fs.symlink(root, path.join(consumer.dir, 'node_modules', 'fluxos-preprod'));
  });
  after(function () {
    consumer?.remove();
  });

  it('loads with require() from plain CommonJS', async function () {
    const script = path.join(consumer.dir, 'consumer.js');
    await fs.writeFile(
      script,
      `'use strict';
const preprod = require('fluxos-preprod');
const fields = preprod.PENDING_FLUX_INFO;
console.log(JSON.stringify({
  createPreprodService: typeof preprod.createPreprodService,
  openStore: typeof preprod.openStore,
  trackedVersion: typeof preprod.trackedVersion,
  preProdNode: fields.preProdNode,
  probability: preprod.defaultSettings().preProd.probability,
}));
`,
    );
    const { stdout } = await run(process.execPath, [script], { cwd: consumer.dir });
    expect(JSON.parse(stdout)).to.deep.equal({
      createPreprodService: 'function',
      openStore: 'function',
      trackedVersion: 'function',
      preProdNode: false,
      probability: 0.07,
    });
  });

  it('type-checks a TypeScript consumer against the shipped declarations, and rejects a wrong one', async function () {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'commonjs', '--moduleResolution', 'node', '--target', 'ES2022', '--types', 'node', '--typeRoots', path.join(root, 'node_modules/@types')];
    const good = path.join(consumer.dir, 'good.ts');
    await fs.writeFile(
      good,
      `import { createPreprodService, type BootResult, type FluxInfoFields, type ReasonCode } from 'fluxos-preprod';
const service = createPreprodService({ repoDir: '/srv/zelflux', logger: console });
const result: Promise<BootResult> = service.runAtBoot();
const info: FluxInfoFields = service.fluxInfo();
const reason: ReasonCode = 'crash-loop';
export { result, info, reason };
`,
    );
    await run(process.execPath, [tsc, ...flags, good], { cwd: consumer.dir });

    const bad = path.join(consumer.dir, 'bad.ts');
    await fs.writeFile(bad, `import { createPreprodService } from 'fluxos-preprod';\nconst n: number = createPreprodService({ repoDir: 1 }).fluxInfo().preProdNode;\nexport { n };\n`);
    const failure = await run(process.execPath, [tsc, ...flags, bad], { cwd: consumer.dir }).then(
      () => null,
      (error: { stdout: string }) => error.stdout,
    );
    expect(failure).to.match(/bad\.ts\(2,\d+\): error TS2322/);
  });
});
