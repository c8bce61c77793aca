/**
 * Dependencies at versions outside every published advisory we know of (the README keeps
 * the list). simple-git before 4.0.0: abbreviated push options bypassed its unsafe-option
 * guard (GHSA-858h-whjf-mvg5); before 3.36.0: `--config` bypass (GHSA-hffm-xvc3-vprc).
 * mongodb: GHSA-mh5c-679w-hh4r (< 3.1.13) and GHSA-vxvm-qww3-2fh7 (< 3.6.10, 4.x < 4.17,
 * 5.x < 5.8) lie below the peer range, which must keep admitting FluxOS's own mongodb 6.18.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

function manifest(file: string): {
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
} {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The installed version of a package, read beside its resolved entry point (its exports hide package.json). */
function installedVersion(name: string): string {
  let dir = path.dirname(require.resolve(name));
  while (path.basename(dir) !== name) dir = path.dirname(dir);
  return manifest(path.join(dir, 'package.json')).version;
}

const major = (version: string): number => Number(version.split('.')[0]);

describe('dependencies against known advisories', () => {
  const ours = manifest(path.resolve(__dirname, '..', '..', '..', 'package.json'));

  it('simple-git is on major 4 or later, installed and declared', () => {
    expect(major(installedVersion('simple-git'))).to.be.at.least(4);
    expect(ours.dependencies?.['simple-git']).to.match(/^\^?[4-9]\./);
  });

  it('the mongodb peer range starts at 6 (no advised version) and admits 6.18 and 7.x', () => {
    expect(ours.peerDependencies?.mongodb).to.equal('>=6.0.0 <8');
    expect(major(installedVersion('mongodb'))).to.be.within(6, 7);
  });
});
