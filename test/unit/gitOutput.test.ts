import { expect } from 'chai';
import {
  gitMessage,
  gitRefusal,
  nulEntries,
  outputLines,
  parseConfigEntries,
  parseGitDirPointer,
  parseHead,
  parseLsRemoteHeads,
  remoteUrlsFromConfig,
} from '../../src/checkout/gitOutput';

const SHA1 = '0123456789abcdef0123456789abcdef01234567';
const SHA256 = `${SHA1}${'a'.repeat(24)}`;

describe('gitOutput (canned git output)', () => {
  describe('outputLines and nulEntries', () => {
    it('splits LF and CRLF alike and drops empty lines', () => {
      expect(outputLines('a\r\nb\n\n c \r\n')).to.deep.equal(['a', 'b', ' c ']);
      expect(outputLines('')).to.deep.equal([]);
    });
    it('splits on NUL and drops only the empty entry after the last NUL', () => {
      expect(nulEntries('a b\0c\nd\0')).to.deep.equal(['a b', 'c\nd']);
      expect(nulEntries('')).to.deep.equal([]);
      expect(nulEntries('\0')).to.deep.equal(['']);
    });
  });

  describe('parseHead (rev-parse HEAD --symbolic-full-name HEAD)', () => {
    const cases: Array<[string, string, ReturnType<typeof parseHead>]> = [
      ['a branch', `${SHA1}\nrefs/heads/master\n`, { branch: 'master', commit: SHA1 }],
      ['CRLF line ends', `${SHA1}\r\nrefs/heads/preprod\r\n`, { branch: 'preprod', commit: SHA1 }],
      ['a SHA-256 repository', `${SHA256}\nrefs/heads/master\n`, { branch: 'master', commit: SHA256 }],
      ['a detached HEAD', `${SHA1}\nHEAD\n`, { branch: null, commit: SHA1 }],
      [
        'a branch with slashes, dots and non-ASCII',
        `${SHA1}\nrefs/heads/feature/été.v2\n`,
        { branch: 'feature/été.v2', commit: SHA1 },
      ],
      ['a branch named like a tag path', `${SHA1}\nrefs/heads/refs/tags/x\n`, { branch: 'refs/tags/x', commit: SHA1 }],
      ['empty output', '', null],
      ['only a commit', `${SHA1}\n`, null],
      ['an abbreviated commit', `0123456\nrefs/heads/master\n`, null],
      ['upper-case hex', `${SHA1.toUpperCase()}\nrefs/heads/master\n`, null],
      ['a symbolic ref outside refs/heads', `${SHA1}\nrefs/remotes/origin/master\n`, null],
      ['an empty branch name', `${SHA1}\nrefs/heads/\n`, null],
      ['extra lines', `${SHA1}\nrefs/heads/master\nsurprise\n`, null],
    ];
    for (const [name, stdout, expected] of cases) {
      it(`${name} → ${JSON.stringify(expected)}`, () => {
        expect(parseHead(stdout)).to.deep.equal(expected);
      });
    }
  });

  describe('parseConfigEntries and remoteUrlsFromConfig (config -z --get-regexp)', () => {
    it('reads key and value, keeping spaces and newlines inside the value', () => {
      const stdout =
        'remote.origin.url\nhttps://github.com/runonflux/flux\0remote.my fork.url\n/srv/a b.git\0remote.bare.url\0';
      expect(parseConfigEntries(stdout)).to.deep.equal([
        { key: 'remote.origin.url', value: 'https://github.com/runonflux/flux' },
        { key: 'remote.my fork.url', value: '/srv/a b.git' },
        { key: 'remote.bare.url', value: null },
      ]);
    });
    it('gives each remote with a URL, dotted names included, in order', () => {
      const stdout =
        'remote.origin.url\nhttps://github.com/runonflux/flux\0remote.my.dotted.url\ngit@github.com:RunOnFlux/flux\0' +
        'remote.empty.url\n\0remote.novalue.url\0branch.master.remote\norigin\0';
      expect(remoteUrlsFromConfig(stdout)).to.deep.equal([
        { name: 'origin', url: 'https://github.com/runonflux/flux' },
        { name: 'my.dotted', url: 'git@github.com:RunOnFlux/flux' },
      ]);
    });
    it('gives nothing for empty output (git exits 1 when no key matches)', () => {
      expect(remoteUrlsFromConfig('')).to.deep.equal([]);
    });
  });

  describe('parseLsRemoteHeads', () => {
    const cases: Array<[string, string, string[]]> = [
      ['two heads', `${SHA1}\trefs/heads/master\n${SHA1}\trefs/heads/preprod\n`, ['master', 'preprod']],
      ['CRLF line ends', `${SHA1}\trefs/heads/master\r\n`, ['master']],
      ['a branch with a slash', `${SHA1}\trefs/heads/release/8.17\n`, ['release/8.17']],
      ['tags and other refs are ignored', `${SHA1}\trefs/tags/v1\n${SHA1}\tHEAD\n${SHA1}\trefs/heads/\n`, []],
      ['empty output (no such branch)', '', []],
      ['a line without a tab', `${SHA1} refs/heads/master\n`, []],
    ];
    for (const [name, stdout, expected] of cases) {
      it(`${name} → [${expected.join(', ')}]`, () => {
        expect([...parseLsRemoteHeads(stdout)]).to.deep.equal(expected);
      });
    }
  });

  describe('gitMessage', () => {
    const cases: Array<[string, string, string]> = [
      [
        'the first fatal line',
        "hint: x\nfatal: repository '/x' does not exist\nfatal: second\n",
        "repository '/x' does not exist",
      ],
      ['an error line, CRLF', 'warning: w\r\nerror: pathspec did not match.\r\n', 'pathspec did not match'],
      ['else the last line', 'Cloning...\nsomething odd happened.  \n', 'something odd happened'],
      ['progress with carriage returns', 'Receiving 10%\rReceiving 100%\r', 'Receiving 100%'],
      ['empty stderr', '', ''],
      ['a long line is clipped', `fatal: ${'x'.repeat(300)}`, `${'x'.repeat(197)}...`],
    ];
    for (const [name, stderr, expected] of cases) {
      it(name, () => {
        expect(gitMessage(stderr)).to.equal(expected);
      });
    }
  });

  describe('parseGitDirPointer', () => {
    const cases: Array<[string, string, string | null]> = [
      ['a worktree pointer', 'gitdir: /srv/flux/.git/worktrees/a\n', '/srv/flux/.git/worktrees/a'],
      ['a relative pointer with CRLF', 'gitdir: ../.git/modules/x\r\n', '../.git/modules/x'],
      ['a path with spaces', 'gitdir:  /srv/my flux/.git  \n', '/srv/my flux/.git'],
      ['not a pointer', 'hello\n', null],
      ['empty', '', null],
    ];
    for (const [name, text, expected] of cases) {
      it(`${name} → ${expected}`, () => {
        expect(parseGitDirPointer(text)).to.equal(expected);
      });
    }
  });

  describe('gitRefusal', () => {
    it('tells dubious ownership from a non-checkout from anything else', () => {
      const dubious =
        "fatal: detected dubious ownership in repository at '/home/flux/zelflux'\n" +
        'To add an exception for this directory, call:\n\n' +
        '\tgit config --global --add safe.directory /home/flux/zelflux\n';
      expect(gitRefusal(dubious)).to.equal('dubious-ownership');
      const notRepository = 'fatal: not a git repository (or any of the parent directories): .git\n';
      expect(gitRefusal(notRepository)).to.equal('not-a-repository');
      expect(gitRefusal('fatal: bad object HEAD\n')).to.equal(null);
      expect(gitRefusal('')).to.equal(null);
    });
  });
});
