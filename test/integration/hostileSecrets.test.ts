/**
 * Credentials in a --store URL never reach the output, in any command, usage errors
 * included, whatever characters the password holds.
 */
import { expect } from 'chai';
import * as path from 'node:path';
import { describeRun, runCli, STACK_LINE } from '../support/cli';
import { makeTempDir } from '../support/tmp';

/** Every 4-character piece of the password: none may appear in the output. */
function pieces(password: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + 4 <= password.length; i++) found.push(password.slice(i, i + 4));
  return found;
}

describe('hostile input: secrets in --store', function () {
  this.timeout(120_000);
  let tmp: { dir: string; remove: () => void };
  before(() => {
    // A name without any piece of the passwords below: messages may name this directory.
    tmp = makeTempDir('fluxos-preprod-store-url-');
  });
  after(() => tmp.remove());

  const urls: { password: string; url: string }[] = [
    { password: 'S3cretPass', url: 'mongodb://admin:S3cretPass@127.0.0.1:1/db?badOption=1' },
    { password: 'S3c@retPass', url: 'mongodb://admin:S3c@retPass@127.0.0.1:1/db?badOption=1' },
    { password: 'S3c@retPass', url: 'mongodb://admin:S3c@retPass@127.0.0.1:1/db' },
    { password: 'Pa55@w0rd@two', url: 'mongodb://admin:Pa55@w0rd@two@127.0.0.1:1/db' },
    { password: 'S3c ret pass', url: 'mongodb://admin:S3c ret pass@127.0.0.1:1/db' },
    { password: 'S3c/ret?Pa#ss', url: 'mongodb://admin:S3c/ret?Pa#ss@127.0.0.1:1/db' },
    { password: 'S3cretPass', url: 'mongodb://admin:S3cretPass@127.0.0.1:1/db' }, // well-formed, unreachable
  ];
  for (const { password, url } of urls) {
    for (const command of ['status', 'boot', 'healthy']) {
      it(`${command} --store ${JSON.stringify(url)}: no piece of the password in the output`, async () => {
        const args = [command, '--repo', tmp.dir, '--store', url];
        if (command !== 'healthy') args.push('--json', '--userconfig', path.join(tmp.dir, 'none.js'));
        const run = await runCli(args, { timeoutMs: 60_000 });
        expect(run.code, describeRun(run)).to.be.oneOf([1, 2]);
        expect(run.stderr).not.to.match(STACK_LINE);
        const output = run.stdout + run.stderr;
        for (const piece of pieces(password))
          expect(output, `'${piece}' leaked:\n${describeRun(run)}`).not.to.include(piece);
        // A driver that lower-cases a host made of the password's tail ("getaddrinfo ENOTFOUND retpass").
        expect(output.toLowerCase()).not.to.include(password.slice(-5).toLowerCase());
      });
    }
    // The release gate's history on MongoDB: its own connection, the same rule.
    it(`gate --history ${JSON.stringify(url)}: no piece of the password in the output`, async () => {
      const run = await runCli(['gate', '--history', url], { timeoutMs: 60_000 });
      expect(run.code, describeRun(run)).to.be.oneOf([2, 4]);
      expect(run.stderr).not.to.match(STACK_LINE);
      const output = run.stdout + run.stderr;
      for (const piece of pieces(password))
        expect(output, `'${piece}' leaked:\n${describeRun(run)}`).not.to.include(piece);
      expect(output.toLowerCase()).not.to.include(password.slice(-5).toLowerCase());
    });
  }
});
