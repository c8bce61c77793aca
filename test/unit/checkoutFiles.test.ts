import { expect } from 'chai';
import { filteredEnv } from '../../src/checkout/gitEnv';
import { parseSwitchMarker } from '../../src/checkout/switchMarker';
import { packageVersion } from '../../src/checkout/trackedVersion';
import { PreprodError } from '../../src/errors';
import { stderrLastLine } from '../../src/restart/install';

describe('checkout helpers (pure)', () => {
  describe('parseSwitchMarker', () => {
    const cases: Array<[string, string, { branch: string; depsChanged: boolean }]> = [
      ['a marker', '{"branch":"preprod","depsChanged":false}\n', { branch: 'preprod', depsChanged: false }],
      ['deps changed', '{"branch":"master","depsChanged":true}', { branch: 'master', depsChanged: true }],
      ['a torn file: assume the install is unfinished', '{"branch":"pre', { branch: '', depsChanged: true }],
      ['empty', '', { branch: '', depsChanged: true }],
      ['null', 'null', { branch: '', depsChanged: true }],
      ['wrong types', '{"branch":3,"depsChanged":"no"}', { branch: '', depsChanged: true }],
    ];
    for (const [name, text, expected] of cases) {
      it(name, () => {
        expect(parseSwitchMarker(text)).to.deep.equal(expected);
      });
    }
  });

  describe('packageVersion', () => {
    const commit = 'abcdef0123456789';
    it('reads the version', () => {
      expect(packageVersion('{"name":"zelflux","version":"8.17.0"}', 'origin/master', commit)).to.equal('8.17.0');
    });
    const bad: Array<[string, string | null, RegExp]> = [
      ['invalid JSON', '{', /^package\.json at origin\/master is not valid JSON\.$/],
      ['no version', '{"name":"x"}', /^package\.json at origin\/master \(abcdef012345\) has no version\.$/],
      ['an empty version', '{"version":""}', /has no version\.$/],
      ['a missing file', null, /has no version\.$/],
      ['JSON null', 'null', /has no version\.$/],
    ];
    for (const [name, text, message] of bad) {
      it(`${name}: one sentence`, () => {
        expect(() => packageVersion(text, 'origin/master', commit))
          .to.throw(PreprodError, message)
          .with.property('kind', 'git-failed');
      });
    }
  });

  describe('filteredEnv (git and the install alike)', () => {
    it('drops repository, config-injection and npm-config variables, and disables prompts', () => {
      const env = filteredEnv({
        PATH: '/usr/bin',
        HOME: '/home/flux',
        HTTPS_PROXY: 'http://proxy:3128',
        GIT_DIR: '/elsewhere/.git',
        git_work_tree: '/elsewhere',
        GIT_EXTERNAL_DIFF: '/tmp/evil',
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'core.pager',
        npm_config_registry: 'http://evil.invalid/',
        NPM_CONFIG_SCRIPT_SHELL: '/tmp/evil',
        npm_lifecycle_event: 'start',
        npm_package_name: 'zelflux',
        EDITOR: 'vi',
        GIT_TERMINAL_PROMPT: '1',
        FLUXOS_PATH: '/dat/var/lib/fluxos',
      });
      expect(env).to.deep.equal({
        PATH: '/usr/bin',
        HOME: '/home/flux',
        HTTPS_PROXY: 'http://proxy:3128',
        FLUXOS_PATH: '/dat/var/lib/fluxos',
        GIT_TERMINAL_PROMPT: '0',
      });
    });
  });

  describe('stderrLastLine', () => {
    const cases: Array<[string, string, string]> = [
      ['the last line without colour codes', 'npm WARN a\n\u001b[31mnpm ERR! E404\u001b[0m\n', 'npm ERR! E404'],
      ['CRLF and a trailing period', 'one\r\ntwo.\r\n', 'two'],
      ['empty', '', ''],
      ['a long line is clipped', 'y'.repeat(250), `${'y'.repeat(197)}...`],
    ];
    for (const [name, stderr, expected] of cases) {
      it(name, () => {
        expect(stderrLastLine(stderr)).to.equal(expected);
      });
    }
  });
});
