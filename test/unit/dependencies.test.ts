import { expect } from 'chai';
import { dependencyChanges, dependencyFieldsDiffer } from '../../src/checkout/dependencies';
import { installCommandFor } from '../../src/restart/install';

const pkg = (fields: object): string => JSON.stringify({ name: 'zelflux', version: '8.17.0', ...fields }, null, 2);

describe('dependencies: when a switch needs the install', () => {
  describe('dependencyFieldsDiffer', () => {
    const deps = { dependencies: { axios: '^1.7.0', mongodb: '~6.18.0' } };
    const cases: Array<[string, string | null, string | null, boolean]> = [
      ['a version-only change (every FluxOS release)', pkg(deps), pkg({ ...deps, version: '8.18.0' }), false],
      ['scripts and description changed', pkg(deps), pkg({ ...deps, scripts: { start: 'node x' } }), false],
      [
        'the same dependencies in another key order',
        pkg({ dependencies: { a: '1', b: '2' } }),
        pkg({ dependencies: { b: '2', a: '1' } }),
        false,
      ],
      ['whitespace only', pkg(deps), JSON.stringify(JSON.parse(pkg(deps))), false],
      [
        'devDependencies only (installed with --omit=dev: nothing)',
        pkg(deps),
        pkg({ ...deps, devDependencies: { mocha: '1' } }),
        false,
      ],
      ['a dependency bumped', pkg(deps), pkg({ dependencies: { axios: '^1.8.0', mongodb: '~6.18.0' } }), true],
      ['a dependency added', pkg(deps), pkg({ dependencies: { ...deps.dependencies, ws: '8' } }), true],
      ['optionalDependencies', pkg(deps), pkg({ ...deps, optionalDependencies: { fsevents: '2' } }), true],
      ['peerDependencies', pkg(deps), pkg({ ...deps, peerDependencies: { react: '18' } }), true],
      ['bundleDependencies', pkg(deps), pkg({ ...deps, bundleDependencies: ['axios'] }), true],
      ['bundledDependencies (the other spelling)', pkg(deps), pkg({ ...deps, bundledDependencies: ['axios'] }), true],
      ['overrides', pkg(deps), pkg({ ...deps, overrides: { semver: '7.5.2' } }), true],
      [
        'bundle order matters (an array)',
        pkg({ bundleDependencies: ['a', 'b'] }),
        pkg({ bundleDependencies: ['b', 'a'] }),
        true,
      ],
      ['package.json added without dependencies', null, pkg({}), false],
      ['package.json added with dependencies', null, pkg(deps), true],
      ['package.json removed', pkg(deps), null, true],
      ['unparsable on one side: install to be safe', pkg(deps), '{"dependencies": ', true],
      ['not an object: install to be safe', pkg(deps), '[]', true],
      ['both missing', null, null, false],
    ];
    for (const [name, before, after, expected] of cases) {
      it(`${name} → ${expected ? 'install' : 'no install'}`, () => {
        expect(dependencyFieldsDiffer(before, after)).to.equal(expected);
      });
    }
  });

  describe('dependencyChanges (the paths of a switch diff)', () => {
    const cases: Array<[string[], { lockfile: boolean; packageJson: boolean }]> = [
      [['app.js', 'ZelBack/x.js'], { lockfile: false, packageJson: false }],
      [['package.json'], { lockfile: false, packageJson: true }],
      [['package-lock.json'], { lockfile: true, packageJson: false }],
      [['npm-shrinkwrap.json', 'package.json'], { lockfile: true, packageJson: true }],
      [['sub/package.json', 'sub/package-lock.json'], { lockfile: false, packageJson: false }],
      [[], { lockfile: false, packageJson: false }],
    ];
    for (const [paths, expected] of cases) {
      it(`[${paths.join(', ')}] → ${JSON.stringify(expected)}`, () => {
        expect(dependencyChanges(paths)).to.deep.equal(expected);
      });
    }
  });

  describe('installCommandFor', () => {
    const settings = {
      installCommand: ['npm', 'install', '--omit=dev', '--legacy-peer-deps'],
      arcaneOsInstallArgs: ['--cache', '/dat/usr/lib/npm'],
    };
    it("FluxOS's own flags on a legacy node", () => {
      expect(installCommandFor(settings, {})).to.deep.equal(['npm', 'install', '--omit=dev', '--legacy-peer-deps']);
    });
    it("ArcaneOS's cache added when FLUXOS_PATH is set", () => {
      expect(installCommandFor(settings, { FLUXOS_PATH: '/dat/var/lib/fluxos/flux' })).to.deep.equal([
        'npm',
        'install',
        '--omit=dev',
        '--legacy-peer-deps',
        '--cache',
        '/dat/usr/lib/npm',
      ]);
    });
    it('configurable: no extra arguments', () => {
      expect(installCommandFor({ ...settings, arcaneOsInstallArgs: [] }, { FLUXOS_PATH: '/x' })).to.have.length(4);
    });
  });
});
