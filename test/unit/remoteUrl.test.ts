import { expect } from 'chai';
import { absoluteRemoteUrl, normaliseRemoteUrl, remoteUrlsMatch } from '../../src/checkout/remoteUrl';

const CONFIGURED = 'https://github.com/RunOnFlux/flux.git';

describe('remoteUrl', () => {
  describe('normaliseRemoteUrl', () => {
    const cases: Array<[string, string]> = [
      ['https://github.com/RunOnFlux/flux.git', 'secure github.com/runonflux/flux'],
      ['https://github.com/runonflux/flux', 'secure github.com/runonflux/flux'],
      ['https://GitHub.com/RunOnFlux/flux/', 'secure github.com/runonflux/flux'],
      ['https://www.github.com/RunOnFlux/flux', 'secure github.com/runonflux/flux'],
      ['https://github.com/RunOnFlux/flux.git/', 'secure github.com/runonflux/flux'],
      ['  https://github.com/RunOnFlux/flux.git\n', 'secure github.com/runonflux/flux'],
      ['https://user:secret@github.com/RunOnFlux/flux.git', 'secure github.com/runonflux/flux'],
      ['https://github.com:443/RunOnFlux/flux.git', 'secure github.com/runonflux/flux'],
      ['git@github.com:RunOnFlux/flux.git', 'secure github.com/runonflux/flux'],
      ['github.com:runonflux/flux', 'secure github.com/runonflux/flux'],
      ['ssh://git@github.com/RunOnFlux/flux.git', 'secure github.com/runonflux/flux'],
      ['ssh://git@github.com:22/RunOnFlux/flux', 'secure github.com/runonflux/flux'],
      ['git+ssh://git@github.com/RunOnFlux/flux.git', 'secure github.com/runonflux/flux'],
      ['ssh://git@github.com:2222/RunOnFlux/flux', 'secure github.com:2222/runonflux/flux'],
      ['https://github.com:22/RunOnFlux/flux', 'secure github.com:22/runonflux/flux'],
      ['http://github.com/RunOnFlux/flux', 'plain github.com/runonflux/flux'],
      ['git://github.com/RunOnFlux/flux.git', 'plain github.com/runonflux/flux'],
      ['https://gitlab.example.com:8443/Group/Sub/Repo.git', 'secure gitlab.example.com:8443/group/sub/repo'],
      ['https://[::1]:8080/x/y.git', 'secure [::1]:8080/x/y'],
      ['/srv/git/Upstream.git', '/srv/git/Upstream'],
      ['/srv/git/Upstream.git/', '/srv/git/Upstream'],
      ['/srv/git//Upstream/', '/srv/git/Upstream'],
      ['file:///srv/git/Upstream.git', '/srv/git/Upstream'],
      ['file://localhost/srv/git/Upstream', '/srv/git/Upstream'],
      ['../upstream.git', '../upstream'],
      ['github.com/runonflux/flux', './github.com/runonflux/flux'],
      ['', ''],
      // Destinations in doubt: nothing.
      ['https://evil#@github.com/RunOnFlux/flux', ''],
      ['https://evil?@github.com/RunOnFlux/flux', ''],
      ['https://evil\\@github.com/RunOnFlux/flux', ''],
      ['https://evil%40x@github.com/RunOnFlux/flux', ''],
      ['https://a@evil@github.com/RunOnFlux/flux', ''],
      ['https://github.com/evil/../RunOnFlux/flux', ''],
      ['evil#@github.com:RunOnFlux/flux', ''],
      ['ftp://github.com/RunOnFlux/flux', ''],
      ['https:///RunOnFlux/flux', ''],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        expect(normaliseRemoteUrl(input)).to.equal(expected);
      });
    }

    it('resolves a relative local path against baseDir', () => {
      expect(normaliseRemoteUrl('../upstream.git', { baseDir: '/tmp/bed/node1' })).to.equal('/tmp/bed/upstream');
    });
  });

  describe('remoteUrlsMatch, the way git connects', () => {
    const cases: Array<{ a: string; b: string; match: boolean; why: string }> = [
      { a: 'https://github.com/runonflux/flux', b: CONFIGURED, match: true, why: "the README's clone URL" },
      { a: 'https://github.com/RunOnFlux/flux', b: CONFIGURED, match: true, why: 'no .git suffix' },
      { a: 'https://www.github.com/RunOnFlux/flux', b: CONFIGURED, match: true, why: 'www.' },
      { a: 'git@github.com:RunOnFlux/flux.git', b: CONFIGURED, match: true, why: 'scp-like ssh' },
      { a: 'ssh://git@github.com/runonflux/flux', b: CONFIGURED, match: true, why: 'ssh URL' },
      {
        a: 'https://token@github.com/RUNONFLUX/FLUX/',
        b: CONFIGURED,
        match: true,
        why: 'user info, upper case, slash',
      },
      {
        a: 'http://github.com/RunOnFlux/flux',
        b: 'git://github.com/runonflux/flux',
        match: true,
        why: 'two plain transports',
      },
      { a: '/srv/upstream.git', b: '/srv/upstream', match: true, why: 'local path with and without .git' },
      { a: '/srv/upstream/', b: 'file:///srv/upstream.git', match: true, why: 'local path and file URL' },
      { a: 'http://github.com/RunOnFlux/flux', b: CONFIGURED, match: false, why: 'http never matches https' },
      { a: 'git://github.com/RunOnFlux/flux', b: CONFIGURED, match: false, why: 'git:// never matches https' },
      { a: 'https://evil#@github.com/RunOnFlux/flux', b: CONFIGURED, match: false, why: 'git connects to evil (#)' },
      { a: 'https://evil?@github.com/RunOnFlux/flux', b: CONFIGURED, match: false, why: 'git connects to evil (?)' },
      { a: 'https://evil\\@github.com/RunOnFlux/flux', b: CONFIGURED, match: false, why: 'git connects to evil (\\)' },
      { a: 'https://github.com/someone/flux', b: CONFIGURED, match: false, why: 'a fork (different owner)' },
      { a: 'https://github.com/RunOnFlux/flux-fork', b: CONFIGURED, match: false, why: 'different repository' },
      { a: 'https://github.com/RunOnFlux/fluxos', b: CONFIGURED, match: false, why: 'repository name with a suffix' },
      { a: 'https://gitlab.com/RunOnFlux/flux.git', b: CONFIGURED, match: false, why: 'different host' },
      { a: 'https://github.com.evil.example/RunOnFlux/flux', b: CONFIGURED, match: false, why: 'look-alike host' },
      { a: 'https://wwwgithub.com/RunOnFlux/flux', b: CONFIGURED, match: false, why: 'www without its dot' },
      { a: 'https://github.com:8443/RunOnFlux/flux', b: CONFIGURED, match: false, why: 'non-default port' },
      { a: 'https://github.com/RunOnFlux', b: CONFIGURED, match: false, why: 'owner only' },
      { a: '/srv/Upstream', b: '/srv/upstream', match: false, why: 'local paths keep their case' },
      { a: '/srv/github.com/runonflux/flux', b: CONFIGURED, match: false, why: 'a local path is never a hosted URL' },
      { a: 'github.com/runonflux/flux', b: CONFIGURED, match: false, why: 'a relative path is never a hosted URL' },
      { a: '', b: '', match: false, why: 'empty URLs never match' },
      {
        a: 'https://evil#@x/y',
        b: 'https://evil#@x/y',
        match: false,
        why: 'a URL in doubt never matches, even itself',
      },
    ];
    for (const { a, b, match, why } of cases) {
      it(`${match ? 'matches' : 'does not match'}: ${why}`, () => {
        expect(remoteUrlsMatch(a, b)).to.equal(match);
        expect(remoteUrlsMatch(b, a)).to.equal(match);
      });
    }
  });

  describe('absoluteRemoteUrl', () => {
    const cases: Array<[string, string]> = [
      ['../upstream.git', '/srv/upstream.git'],
      ['/abs/up.git', '/abs/up.git'],
      ['https://github.com/RunOnFlux/flux', 'https://github.com/RunOnFlux/flux'],
      ['git@github.com:RunOnFlux/flux', 'git@github.com:RunOnFlux/flux'],
    ];
    for (const [url, expected] of cases) {
      it(`${url} → ${expected}`, () => {
        expect(absoluteRemoteUrl(url, '/srv/node')).to.equal(expected);
      });
    }
  });
});
