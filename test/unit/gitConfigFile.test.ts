import { expect } from 'chai';
import { parseRepoConfig, tracksAlready, upstreamOf } from '../../src/checkout/gitConfigFile';

const CLONE = [
  '[core]',
  '\trepositoryformatversion = 0',
  '\tbare = false',
  '[remote "origin"]',
  '\turl = https://github.com/runonflux/flux',
  '\tfetch = +refs/heads/*:refs/remotes/origin/*',
  '[branch "master"]',
  '\tremote = origin',
  '\tmerge = refs/heads/master',
  '',
].join('\n');

describe('gitConfigFile (the repository config, read without git)', () => {
  const cases: Array<[string, string, string | null, ReturnType<typeof upstreamOf>]> = [
    ['a fresh clone', CLONE, 'master', { remote: 'origin', url: 'https://github.com/runonflux/flux' }],
    [
      'CRLF line ends',
      CLONE.replace(/\n/g, '\r\n'),
      'master',
      { remote: 'origin', url: 'https://github.com/runonflux/flux' },
    ],
    ['a branch with no upstream', CLONE, 'preprod', null],
    ['a detached HEAD', CLONE, null, null],
    ['an empty file', '', 'master', null],
    [
      'a fork: the last branch.remote wins',
      `${CLONE}[remote "my fork"]\n\turl = "git@github.com:me/flux.git" ; mine\n` +
        '[branch "master"]\n\tremote = my fork\n',
      'master',
      { remote: 'my fork', url: 'git@github.com:me/flux.git' },
    ],
    [
      'the first url is the fetch url',
      '[remote "o"]\nurl = /a\nurl = /b\n[branch "m"]\nremote = o\n',
      'm',
      { remote: 'o', url: '/a' },
    ],
    ['the local "." remote has no url', '[branch "master"]\n\tremote = .\n', 'master', { remote: '.', url: null }],
    [
      'case: section and key insensitive, subsection kept',
      '[BRANCH "Master"]\nREMOTE=up\n[Remote "up"]\nURL = /srv/u.git # comment\n',
      'Master',
      { remote: 'up', url: '/srv/u.git' },
    ],
    [
      'the old [branch.name] form is lower-cased',
      '[branch.master]\nremote = origin\n',
      'master',
      { remote: 'origin', url: null },
    ],
    [
      'escapes and a continued line in a value',
      '[remote "o"]\n\turl = "/srv/a \\"b\\"" \\\n/c\n[branch "x/y"]\nremote = o\n',
      'x/y',
      { remote: 'o', url: '/srv/a "b" /c' },
    ],
    ['a quoted subsection with escapes', '[branch "we\\"ird"]\nremote = o\n', 'we"ird', { remote: 'o', url: null }],
    ['an include makes it unknown', `${CLONE}[include]\n\tpath = ~/more.gitconfig\n`, 'master', undefined],
    ['includeIf too', `[includeIf "gitdir:/x/"]\npath = y\n${CLONE}`, 'master', undefined],
    ['per-worktree config too', `[extensions]\n\tworktreeConfig = true\n${CLONE}`, 'master', undefined],
    [
      'garbage lines are skipped',
      `=== not config\n${CLONE}`,
      'master',
      { remote: 'origin', url: 'https://github.com/runonflux/flux' },
    ],
  ];
  for (const [name, text, branch, expected] of cases) {
    it(`${name} → ${JSON.stringify(expected)}`, () => {
      expect(upstreamOf(parseRepoConfig(text), branch)).to.deep.equal(expected);
    });
  }

  it('tracksAlready: the upstream a switch would write is there already (no git config call)', () => {
    const config = parseRepoConfig(CLONE);
    expect(tracksAlready(config, 'master', 'origin')).to.equal(true);
    expect(tracksAlready(config, 'master', 'fork')).to.equal(false);
    expect(tracksAlready(config, 'preprod', 'origin')).to.equal(false);
    expect(
      tracksAlready(parseRepoConfig(CLONE.replace('refs/heads/master', 'refs/heads/other')), 'master', 'origin'),
    ).to.equal(false);
    expect(tracksAlready(parseRepoConfig(`${CLONE}[include]\npath = x\n`), 'master', 'origin')).to.equal(false);
    expect(tracksAlready(null, 'master', 'origin')).to.equal(false);
  });
});
