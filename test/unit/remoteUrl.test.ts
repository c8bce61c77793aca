import { expect } from 'chai';
import { normaliseRemoteUrl, remoteUrlsMatch } from '../../src/checkout/remoteUrl';

const CONFIGURED = 'https://github.com/RunOnFlux/flux.git';

describe('remoteUrl', () => {
  describe('normaliseRemoteUrl', () => {
    const cases: Array<[string, string]> = [
      ['https://github.com/RunOnFlux/flux.git', 'github.com/runonflux/flux'],
      ['https://github.com/runonflux/flux', 'github.com/runonflux/flux'],
      ['https://GitHub.com/RunOnFlux/flux/', 'github.com/runonflux/flux'],
      ['https://github.com/RunOnFlux/flux.git/', 'github.com/runonflux/flux'],
      ['  https://github.com/RunOnFlux/flux.git\n', 'github.com/runonflux/flux'],
      ['http://github.com/RunOnFlux/flux', 'github.com/runonflux/flux'],
      ['https://user:secret@github.com/RunOnFlux/flux.git', 'github.com/runonflux/flux'],
      ['https://github.com:443/RunOnFlux/flux.git', 'github.com/runonflux/flux'],
      ['git@github.com:RunOnFlux/flux.git', 'github.com/runonflux/flux'],
      ['github.com:runonflux/flux', 'github.com/runonflux/flux'],
      ['ssh://git@github.com/RunOnFlux/flux.git', 'github.com/runonflux/flux'],
      ['ssh://git@github.com:22/RunOnFlux/flux', 'github.com/runonflux/flux'],
      ['git+ssh://git@github.com/RunOnFlux/flux.git', 'github.com/runonflux/flux'],
      ['git://github.com/RunOnFlux/flux.git', 'github.com/runonflux/flux'],
      ['https://gitlab.example.com:8443/Group/Sub/Repo.git', 'gitlab.example.com:8443/group/sub/repo'],
      ['https://[::1]:8080/x/y.git', '[::1]:8080/x/y'],
      ['/srv/git/Upstream.git', '/srv/git/Upstream'],
      ['/srv/git/Upstream.git/', '/srv/git/Upstream'],
      ['/srv/git//Upstream/', '/srv/git/Upstream'],
      ['file:///srv/git/Upstream.git', '/srv/git/Upstream'],
      ['file://localhost/srv/git/Upstream', '/srv/git/Upstream'],
      ['../upstream.git', '../upstream'],
      ['github.com/runonflux/flux', './github.com/runonflux/flux'],
      ['', ''],
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

  describe('remoteUrlsMatch', () => {
    const cases: Array<{ a: string; b: string; match: boolean; why: string }> = [
      { a: 'https://github.com/runonflux/flux', b: CONFIGURED, match: true, why: "the README's clone URL" },
      { a: 'https://github.com/RunOnFlux/flux', b: CONFIGURED, match: true, why: 'no .git suffix' },
      { a: 'git@github.com:RunOnFlux/flux.git', b: CONFIGURED, match: true, why: 'scp-like ssh' },
      { a: 'ssh://git@github.com/runonflux/flux', b: CONFIGURED, match: true, why: 'ssh URL' },
      { a: 'https://token@github.com/RUNONFLUX/FLUX/', b: CONFIGURED, match: true, why: 'user info, upper case, slash' },
      { a: 'git://github.com/RunOnFlux/flux', b: CONFIGURED, match: true, why: 'git protocol' },
      { a: '/srv/upstream.git', b: '/srv/upstream', match: true, why: 'local path with and without .git' },
      { a: '/srv/upstream/', b: 'file:///srv/upstream.git', match: true, why: 'local path and file URL' },
      { a: 'https://github.com/someone/flux', b: CONFIGURED, match: false, why: 'a fork (different owner)' },
      { a: 'https://github.com/RunOnFlux/flux-fork', b: CONFIGURED, match: false, why: 'different repository' },
      { a: 'https://github.com/RunOnFlux/fluxos', b: CONFIGURED, match: false, why: 'repository name with a suffix' },
      { a: 'https://gitlab.com/RunOnFlux/flux.git', b: CONFIGURED, match: false, why: 'different host' },
      { a: 'https://github.com.evil.example/RunOnFlux/flux', b: CONFIGURED, match: false, why: 'look-alike host' },
      { a: 'https://github.com:8443/RunOnFlux/flux', b: CONFIGURED, match: false, why: 'non-default port' },
      { a: 'https://github.com/RunOnFlux', b: CONFIGURED, match: false, why: 'owner only' },
      { a: '/srv/Upstream', b: '/srv/upstream', match: false, why: 'local paths keep their case' },
      { a: '/srv/github.com/runonflux/flux', b: CONFIGURED, match: false, why: 'a local path is never a hosted URL' },
      { a: 'github.com/runonflux/flux', b: CONFIGURED, match: false, why: 'a relative path is never a hosted URL' },
      { a: '', b: '', match: false, why: 'empty URLs never match' },
    ];
    for (const { a, b, match, why } of cases) {
      it(`${match ? 'matches' : 'does not match'}: ${why}`, () => {
        expect(remoteUrlsMatch(a, b)).to.equal(match);
        expect(remoteUrlsMatch(b, a)).to.equal(match);
      });
    }
  });
});
