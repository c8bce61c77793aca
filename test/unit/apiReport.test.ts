/**
 * The public API report (api/fluxos-preprod.api.d.ts) matches what the build exports: a change of the
 * package's surface shows in review as a change of that file (`npm run api:update` after a deliberate one).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

interface ApiReporter {
  report(): string;
  REPORT: string;
}
// build/test/unit → the package root.
const root = path.resolve(__dirname, '../../..');
const reporter = require(path.join(root, 'tools/api/report.js')) as ApiReporter;

describe('the public API (src/index.ts)', function () {
  const built = reporter.report();

  it('is the one recorded in api/fluxos-preprod.api.d.ts (after a deliberate change: npm run api:update)', function () {
    const recorded = readFileSync(reporter.REPORT, 'utf8');
    const differing = built.split('\n').filter((line, i) => line !== recorded.split('\n')[i]);
    expect(differing[0], 'the first line of the build that differs from the report').to.equal(undefined);
    expect(built).to.equal(recorded);
  });

  it('exports the service, its options and results, and the store opener; no test seam and no internals', function () {
    const exported = built.slice(0, built.indexOf('// Reached from the exports.'));
    for (const name of ['createPreprodService', 'PreprodServiceOptions', 'BootResult', 'FluxInfoFields', 'openStore']) {
      expect(exported).to.match(new RegExp(`\\b${name}\\b`));
    }
    for (const internal of ['random', 'processContext', 'backgroundTimings', 'COHORT_KEY', 'LegacyCohortRecord']) {
      expect(built).not.to.match(new RegExp(`\\b${internal}\\b`));
    }
  });
});
