import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { refNameProblem } from '../../src/checkout/refName';

/** Asks the real git, outside any repository so `@{-1}`-style names are not expanded. */
function gitAccepts(name: string, cwd: string): boolean {
  const result = spawnSync('git', ['check-ref-format', '--branch', name], {
    cwd,
    env: { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(cwd), LC_ALL: 'C' },
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return result.status === 0;
}

describe('refNameProblem', () => {
  describe('agrees with `git check-ref-format --branch`', () => {
    let cwd: string;
    before(() => {
      cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'refname-'));
    });
    after(() => {
      fs.rmSync(cwd, { recursive: true, force: true });
    });

    const names = [
      'preprod',
      'master',
      'feature/x',
      'release/v8.17.0',
      'a-b_c',
      'a;b',
      '$(reboot)',
      '`id`',
      'a|b',
      '&&',
      'a!b',
      '#a',
      'a"b',
      "a'b",
      'a]b',
      'a{b',
      '{',
      'a@b',
      '@@',
      '@/a',
      'a/@',
      'a.lock.b',
      'a./b',
      'HEAD/x',
      'refs/heads/x',
      'ünï',
      '分支',
      '🚀',
      'a\u00a0b',
      'a\u0085b',
      'a'.repeat(300),
      `${'ab/'.repeat(1000)}c`,
      '',
      '-',
      '-x',
      '--upload-pack=touch /tmp/x',
      'HEAD',
      'a..b',
      'a..',
      '..',
      '.',
      '.a',
      'a/.b',
      'a/./b',
      'x/.',
      '.lock',
      'a.lock',
      'a/b.lock',
      'a/b.lock/c',
      'foo.lock.lock',
      'a/',
      'a.',
      'a/b.',
      'a//b',
      '/a',
      '@{',
      'a@{b',
      '@{-1}',
      'a b',
      'a\tb',
      'a\x7fb',
      'a\x01b',
      'a~b',
      'a^b',
      'a:b',
      'a?b',
      'a*b',
      'a[b',
      'a\\b',
      `${'a'.repeat(5000)}..`,
    ];

    for (const name of names) {
      const shown =
        name.length > 40 ? `${JSON.stringify(name.slice(0, 20))}… (${name.length} chars)` : JSON.stringify(name);
      it(`${shown}`, () => {
        const git = gitAccepts(name, cwd);
        const problem = refNameProblem(name);
        expect(problem === null, `git ${git ? 'accepts' : 'rejects'} it, we say ${String(problem)}`).to.equal(git);
      });
    }

    // `@` alone is a valid branch for git, but every git command reads it as HEAD.
    it("is deliberately stricter than git on '@'", () => {
      expect(gitAccepts('@', cwd)).to.equal(true);
      expect(refNameProblem('@')).to.equal("is '@'");
    });
  });

  describe('names that cannot reach git through argv', () => {
    const cases: [string, string, string][] = [
      ['NUL inside', 'a\u0000b', 'contains a control character'],
      ['lone high surrogate', 'a\ud800b', 'is not valid Unicode'],
      ['lone low surrogate', '\udc00', 'is not valid Unicode'],
    ];
    for (const [label, name, problem] of cases) {
      it(`rejects ${label}`, () => {
        expect(refNameProblem(name)).to.equal(problem);
      });
    }
  });

  describe('problem phrases', () => {
    const cases: [string, string | null][] = [
      ['preprod', null],
      ['', 'is empty'],
      ['--upload-pack=x', "starts with '-'"],
      ['HEAD', "is 'HEAD'"],
      ['@', "is '@'"],
      ['a b', 'contains a space'],
      ['a\nb', 'contains a control character'],
      ['a~1', "contains '~'"],
      ['a^', "contains '^'"],
      ['a:b', "contains ':'"],
      ['a?', "contains '?'"],
      ['a*', "contains '*'"],
      ['a[', "contains '['"],
      ['a\\b', "contains '\\'"],
      ['a..b', "contains '..'"],
      ['a@{1}', "contains '@{'"],
      ['/a', "starts with '/'"],
      ['a/', "ends with '/'"],
      ['a//b', "contains '//'"],
      ['a.', "ends with '.'"],
      ['a/.b', "has a component starting with '.'"],
      ['a.lock/b', "has a component ending with '.lock'"],
    ];
    for (const [name, problem] of cases) {
      it(`${JSON.stringify(name)} → ${String(problem)}`, () => {
        expect(refNameProblem(name)).to.equal(problem);
      });
    }
  });
});
