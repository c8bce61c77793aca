import { expect } from 'chai';
import { packageVersion } from '../../src/checkout/trackedVersion';
import { PreprodError } from '../../src/errors';

describe('tracked-version prints only a plain version string (issue 17, bounded input)', () => {
  const commit = 'abcdef0123456789';
  for (const version of ['8.17.0', 'v8.17.0', '8.18.0-rc.1', '1.2.3+build.7', '10.0.0-preprod-2']) {
    it(`prints ${version}`, () => {
      expect(packageVersion(JSON.stringify({ version }), 'origin/preprod', commit)).to.equal(version);
    });
  }
  const hostile: [string, string][] = [
    ['a terminal escape code', '8.17.0\u001b]0;pwned\u0007'],
    ['a newline and a second line', '8.17.0\nrm -rf /'],
    ['a clear-screen sequence', '\u001b[2J8.17.0'],
    ['two numbers only', '8.17'],
    ['a shell substitution', '$(id)'],
    ['a page of text', `8.17.0-${'a'.repeat(5000)}`],
    ['a right-to-left override', '8.17.0-\u202erc'],
  ];
  for (const [name, version] of hostile) {
    it(`refuses ${name} in one sentence that does not echo it`, () => {
      let error: unknown;
      try {
        packageVersion(JSON.stringify({ version }), 'origin/preprod', commit);
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(PreprodError);
      const message = (error as PreprodError).message;
      expect(message).to.equal(
        'package.json at origin/preprod (abcdef012345) has a version that is not a plain version string like 8.17.0.',
      );
      expect((error as PreprodError).kind).to.equal('git-failed');
    });
  }
});
