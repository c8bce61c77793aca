import { expect } from 'chai';
import {
  backupIdFor,
  backupsToPrune,
  backupTime,
  collisionCandidates,
  parseNameStatusZ,
  parseStatusZ,
  pathPrefixes,
  shellQuote,
  shortList,
  trackedInCurrent,
} from '../../src/checkout/localWork';

describe('localWork (what a switch must save)', () => {
  describe('parseStatusZ (status --porcelain=v1 -z --untracked-files=no)', () => {
    const cases: Array<[string, string, ReturnType<typeof parseStatusZ>]> = [
      ['empty: nothing local', '', { changed: [], indexDeleted: [] }],
      [
        'work-tree and index changes, odd names',
        ' M README.md\0M  a b.js\0MM ünïcode\nname.js\0',
        { changed: ['README.md', 'a b.js', 'ünïcode\nname.js'], indexDeleted: [] },
      ],
      [
        'a file removed from the index',
        'D  config/x.js\0 D gone.js\0',
        { changed: ['config/x.js', 'gone.js'], indexDeleted: ['config/x.js'] },
      ],
      [
        'untracked and ignored entries are not changes',
        '?? new.txt\0!! node_modules/\0',
        { changed: [], indexDeleted: [] },
      ],
      ['a malformed entry is skipped', 'XYZ\0 M ok.js\0', { changed: ['ok.js'], indexDeleted: [] }],
    ];
    for (const [name, stdout, expected] of cases) {
      it(name, () => {
        expect(parseStatusZ(stdout)).to.deep.equal(expected);
      });
    }
  });

  describe('parseNameStatusZ (diff --name-status -z --no-renames)', () => {
    it('pairs status and path, names with spaces and newlines included', () => {
      expect(parseNameStatusZ('A\0new file.js\0M\0package.json\0D\0old\nname\0T\0link\0')).to.deep.equal([
        { status: 'A', path: 'new file.js' },
        { status: 'M', path: 'package.json' },
        { status: 'D', path: 'old\nname' },
        { status: 'T', path: 'link' },
      ]);
    });
    it('gives nothing for empty output, and skips a torn last entry', () => {
      expect(parseNameStatusZ('')).to.deep.equal([]);
      expect(parseNameStatusZ('M\0a.js\0A\0')).to.deep.equal([{ status: 'M', path: 'a.js' }]);
    });
  });

  describe('collisionCandidates', () => {
    const diff = parseNameStatusZ('A\0ZelBack/new.js\0M\0app.js\0D\0gone.js\0T\0helpers\0A\0helpers/x.js\0');
    it('takes paths the target adds or retypes, not modified or deleted ones', () => {
      const none = { changed: [], indexDeleted: [] };
      expect(collisionCandidates(diff, none)).to.deep.equal(['ZelBack/new.js', 'helpers', 'helpers/x.js']);
    });
    it('adds files removed from the index that the target keeps, once each', () => {
      const status = {
        changed: ['gone.js', 'kept.js', 'ZelBack/new.js'],
        indexDeleted: ['gone.js', 'kept.js', 'ZelBack/new.js'],
      };
      expect(collisionCandidates(diff, status)).to.deep.equal(['ZelBack/new.js', 'helpers', 'helpers/x.js', 'kept.js']);
    });
    it('knows which diff paths the current commit tracks', () => {
      expect([...trackedInCurrent(diff)]).to.deep.equal(['app.js', 'gone.js', 'helpers']);
    });
  });

  it('pathPrefixes', () => {
    expect(pathPrefixes('a/b/c.js')).to.deep.equal(['a', 'a/b', 'a/b/c.js']);
    expect(pathPrefixes('top')).to.deep.equal(['top']);
    expect(pathPrefixes('')).to.deep.equal([]);
  });

  describe('backup ids', () => {
    const now = new Date('2026-11-27T10:15:00.123Z');
    it('name the UTC second, with a counter when taken', () => {
      expect(backupIdFor(now, [])).to.equal('20261127T101500Z');
      expect(backupIdFor(now, ['20261127T101500Z'])).to.equal('20261127T101500Z-2');
      expect(backupIdFor(now, ['20261127T101500Z', '20261127T101500Z-2'])).to.equal('20261127T101500Z-3');
    });
    it('read back as their time; foreign names are not ours', () => {
      expect(backupTime('20261127T101500Z-2')?.toISOString()).to.equal('2026-11-27T10:15:00.000Z');
      expect(backupTime('notes')).to.equal(null);
      expect(backupTime('20261399T101500Z')).to.equal(null);
    });
  });

  describe('backupsToPrune: the last 10 switches or 90 days, whichever keeps more', () => {
    const now = new Date('2026-11-27T00:00:00Z');
    const daysAgo = (days: number, n = 0): string =>
      backupIdFor(new Date(now.getTime() - days * 86_400_000 - n * 1000), []);
    const cases: Array<[string, string[], string[]]> = [
      ['none', [], []],
      ['12 recent ones: all younger than 90 days stay', Array.from({ length: 12 }, (_, i) => daysAgo(i)), []],
      ['3 old ones: fewer than 10 stay whatever their age', [daysAgo(400), daysAgo(300), daysAgo(200)], []],
      [
        '12 old ones: the newest 10 stay, the 2 oldest go',
        Array.from({ length: 12 }, (_, i) => daysAgo(100 + i)),
        [daysAgo(110), daysAgo(111)],
      ],
      [
        '10 recent and 2 old: the old ones go',
        [...Array.from({ length: 10 }, (_, i) => daysAgo(i)), daysAgo(91), daysAgo(95)],
        [daysAgo(91), daysAgo(95)],
      ],
      [
        'foreign folders are never pruned',
        [...Array.from({ length: 11 }, (_, i) => daysAgo(200 + i)), 'keep-me'],
        [daysAgo(210)],
      ],
    ];
    for (const [name, ids, expected] of cases) {
      it(name, () => {
        expect(backupsToPrune(ids, now)).to.deep.equal(expected);
      });
    }
  });

  it('shellQuote quotes only what needs it', () => {
    expect(shellQuote('/home/flux/zelflux')).to.equal('/home/flux/zelflux');
    expect(shellQuote('/srv/my flux')).to.equal("'/srv/my flux'");
    expect(shellQuote("it's; rm -rf /")).to.equal("'it'\\''s; rm -rf /'");
    expect(shellQuote('$(x)')).to.equal("'$(x)'");
  });

  it('shortList', () => {
    expect(shortList(['a', 'b'])).to.equal('a, b');
    expect(shortList(['a', 'b', 'c', 'd', 'e', 'f', 'g'])).to.equal('a, b, c, d, e and 2 more');
  });
});
