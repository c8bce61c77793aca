/**
 * The FluxOS recipe's dependency (docs/design.md §9 "Shipping"): FluxOS declares fluxos-preprod in
 * optionalDependencies, pinned to this package's exact version. The committed patch carries the version as
 * text, so a release that bumps package.json without regenerating the patch (or the reverse) fails here.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

// build/test/unit → the package root.
const ROOT = path.resolve(__dirname, '../../..');

interface Insertion {
  file: string;
  where: string;
  anchor: string;
  lines: string[];
}
const recipe = require(path.join(ROOT, 'examples/fluxos/insertions.js')) as {
  dependencySpec(version: string): string;
  insertions(options: { dependency: string }): Insertion[];
};

const ourVersion = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The lines the patch adds to FluxOS's package.json, read back as the JSON members they are. */
function patchedPackageMembers(patch: string): Record<string, Record<string, string>> {
  const section = patch.split(/^diff --git /m).find((part) => part.startsWith('a/package.json b/package.json'));
  if (section === undefined) throw new Error('Expected the patch to change package.json, got no such section.');
  const added = section
    .split('\n')
    .filter((line) => line.startsWith('+') && !line.startsWith('+++'))
    .map((line) => line.slice(1));
  return JSON.parse(`{${added.join('\n').replace(/,\s*$/, '')}}`);
}

describe("the FluxOS recipe's dependency on fluxos-preprod", function () {
  const patch = readFileSync(path.join(ROOT, 'examples/fluxos/fluxos-v8.17.0.patch'), 'utf8');

  it("pins package.json's exact version in the committed patch", function () {
    const members = patchedPackageMembers(patch);
    const pinned = members.optionalDependencies?.['fluxos-preprod'];
    expect(pinned, 'regenerate with examples/check-against-mirrors.sh … --write').to.equal(
      `npm:@runonflux/fluxos-preprod@${ourVersion}`,
    );
    expect(pinned).to.match(/@\d+\.\d+\.\d+(-[\w.]+)?$/, 'an exact version, no range');
  });

  it('puts it in optionalDependencies only, so a missing package cannot stop npm install', function () {
    const members = patchedPackageMembers(patch);
    expect(Object.keys(members)).to.deep.equal(['optionalDependencies']);
    const [insertion] = recipe.insertions({ dependency: recipe.dependencySpec(ourVersion) });
    expect(insertion).to.include({ file: 'package.json', anchor: '  "dependencies": {', where: 'before' });
    expect(insertion.lines[0]).to.equal('  "optionalDependencies": {');
  });

  it('reads a pin that differs from package.json as a different version (the check can fail)', function () {
    const stale = patch.replace(`@runonflux/fluxos-preprod@${ourVersion}`, '@runonflux/fluxos-preprod@0.0.9');
    expect(stale).to.not.equal(patch);
    expect(patchedPackageMembers(stale).optionalDependencies['fluxos-preprod']).to.not.equal(
      `npm:@runonflux/fluxos-preprod@${ourVersion}`,
    );
  });
});
