import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import {
  defaultSettings,
  describeValue,
  escapeText,
  mergeFragments,
  readSettings,
  validateSettings,
} from '../../src/config/settings';
import { caught } from '../support/caught';
import type { Settings } from '../../src/types';

const DOCUMENTED_DEFAULTS: Settings = {
  preProd: {
    probability: 0.07,
    daysToNextEval: 30,
    branch: 'preprod',
    productionBranch: 'master',
    remote: 'https://github.com/RunOnFlux/flux.git',
    clockSkewMinutes: 10,
    maxUnhealthyBoots: 3,
    healthyAfterMs: 600000,
    bootDeadlineMs: 15000,
    fetchTimeoutMs: 8000,
    installCommand: ['npm', 'install', '--omit=dev', '--legacy-peer-deps'],
    arcaneOsInstallArgs: ['--cache', '/dat/usr/lib/npm'],
    installTimeoutMs: 600000,
    restart: 'auto',
    storeWaitMs: 5000,
    recheckHours: 6,
  },
};

/** Validates the defaults with `preProd` patched. */
function validateWith(preProd: Record<string, unknown>): Settings {
  return validateSettings(mergeFragments(defaultSettings(), { preProd }));
}

describe('config', () => {
  describe('defaultSettings', () => {
    it('holds every field with its documented default', () => {
      expect(defaultSettings()).to.deep.equal(DOCUMENTED_DEFAULTS);
    });

    it('returns a fresh object each call', () => {
      const first = defaultSettings();
      first.preProd.installCommand.push('--oops');
      first.preProd.probability = 1;
      expect(defaultSettings()).to.deep.equal(DOCUMENTED_DEFAULTS);
    });
  });

  describe('validateSettings messages', () => {
    const huge = 'x'.repeat(1_000_000);
    const cases: [string, Record<string, unknown>, string][] = [
      ['NaN', { probability: NaN }, 'Expected `preProd.probability` to be a number from 0 to 1, got NaN.'],
      [
        'Infinity',
        { probability: Infinity },
        'Expected `preProd.probability` to be a number from 0 to 1, got Infinity.',
      ],
      ['-1', { probability: -1 }, 'Expected `preProd.probability` to be a number from 0 to 1, got -1.'],
      ['1.5', { probability: 1.5 }, 'Expected `preProd.probability` to be a number from 0 to 1, got 1.5.'],
      ["'0.07'", { probability: '0.07' }, "Expected `preProd.probability` to be a number from 0 to 1, got '0.07'."],
      ['null', { probability: null }, 'Expected `preProd.probability` to be a number from 0 to 1, got null.'],
      ['a boolean', { probability: true }, 'Expected `preProd.probability` to be a number from 0 to 1, got true.'],
      [
        'a huge string',
        { probability: huge },
        `Expected \`preProd.probability\` to be a number from 0 to 1, got '${'x'.repeat(40)}…'.`,
      ],
      [
        'a quote and a backslash',
        { probability: "it's \\" },
        "Expected `preProd.probability` to be a number from 0 to 1, got 'it\\'s \\\\'.",
      ],
      [
        'daysToNextEval 0',
        { daysToNextEval: 0 },
        'Expected `preProd.daysToNextEval` to be a number of days greater than 0 and at most 3650, got 0.',
      ],
      [
        'daysToNextEval 3651',
        { daysToNextEval: 3651 },
        'Expected `preProd.daysToNextEval` to be a number of days greater than 0 and at most 3650, got 3651.',
      ],
      [
        'clockSkewMinutes -1',
        { clockSkewMinutes: -1 },
        'Expected `preProd.clockSkewMinutes` to be a number of minutes from 0 to 1440, got -1.',
      ],
      [
        'maxUnhealthyBoots 2.5',
        { maxUnhealthyBoots: 2.5 },
        'Expected `preProd.maxUnhealthyBoots` to be a whole number from 1 to 1000, got 2.5.',
      ],
      [
        'maxUnhealthyBoots 0',
        { maxUnhealthyBoots: 0 },
        'Expected `preProd.maxUnhealthyBoots` to be a whole number from 1 to 1000, got 0.',
      ],
      [
        'fetchTimeoutMs 0',
        { fetchTimeoutMs: 0 },
        'Expected `preProd.fetchTimeoutMs` to be a whole number of milliseconds from 1 to 3600000, got 0.',
      ],
      [
        'bootDeadlineMs 1.5',
        { bootDeadlineMs: 1.5 },
        'Expected `preProd.bootDeadlineMs` to be a whole number of milliseconds from 1 to 3600000, got 1.5.',
      ],
      [
        'healthyAfterMs beyond a day',
        { healthyAfterMs: 86_400_001 },
        'Expected `preProd.healthyAfterMs` to be a whole number of milliseconds from 1 to 86400000, got 86400001.',
      ],
      [
        'installTimeoutMs -Infinity',
        { installTimeoutMs: -Infinity },
        'Expected `preProd.installTimeoutMs` to be a whole number of milliseconds from 1 to 86400000, got -Infinity.',
      ],
      [
        '--upload-pack=x branch',
        { branch: '--upload-pack=x' },
        "Expected `preProd.branch` to be a valid git branch name (it starts with '-'), got '--upload-pack=x'.",
      ],
      [
        'productionBranch with ..',
        { productionBranch: 'a..b' },
        "Expected `preProd.productionBranch` to be a valid git branch name (it contains '..'), got 'a..b'.",
      ],
      [
        'empty branch',
        { branch: '' },
        "Expected `preProd.branch` to be a valid git branch name (it is empty), got ''.",
      ],
      [
        'overlong branch',
        { branch: 'b'.repeat(256) },
        `Expected \`preProd.branch\` to be a valid git branch name (it is longer than 255 characters), got ` +
          `'${'b'.repeat(40)}…'.`,
      ],
      ['numeric branch', { branch: 42 }, 'Expected `preProd.branch` to be a valid git branch name, got 42.'],
      [
        'equal branches',
        { branch: 'master' },
        "Expected `preProd.branch` to differ from `preProd.productionBranch`, got 'master' for both.",
      ],
      ['unknown key', { probabilty: 0.1 }, 'Unknown setting `preProd.probabilty`.'],
      ['unknown key with a newline', { 'a\nb': 1 }, 'Unknown setting `preProd.a\\nb`.'],
      [
        'bad restart',
        { restart: 'always' },
        "Expected `preProd.restart` to be 'none', 'nodemon', 'exit' or 'auto', got 'always'.",
      ],
      [
        'restart in the wrong case',
        { restart: 'Auto' },
        "Expected `preProd.restart` to be 'none', 'nodemon', 'exit' or 'auto', got 'Auto'.",
      ],
      [
        'empty installCommand',
        { installCommand: [] },
        'Expected `preProd.installCommand` to be a non-empty array of strings, got an empty array.',
      ],
      [
        'installCommand as one string',
        { installCommand: 'npm install' },
        "Expected `preProd.installCommand` to be a non-empty array of strings, got 'npm install'.",
      ],
      [
        'installCommand with an empty argument',
        { installCommand: ['npm', ''] },
        "Expected `preProd.installCommand[1]` to be a non-empty string without NUL characters, got ''.",
      ],
      [
        'installCommand with NUL',
        { installCommand: ['npm', 'a\u0000b'] },
        "Expected `preProd.installCommand[1]` to be a non-empty string without NUL characters, got 'a\\u0000b'.",
      ],
      [
        'installCommand with a number',
        { installCommand: [3] },
        'Expected `preProd.installCommand[0]` to be a non-empty string without NUL characters, got 3.',
      ],
      [
        "remote starting with '-'",
        { remote: '--upload-pack=touch /tmp/x' },
        "Expected `preProd.remote` not to start with '-', got '--upload-pack=touch /tmp/x'.",
      ],
      [
        'remote with a newline',
        { remote: 'https://github.com/x\n--upload-pack=y' },
        "Expected `preProd.remote` to be free of control characters, got 'https://github.com/x\\n--upload-pack=y'.",
      ],
      ['empty remote', { remote: '' }, "Expected `preProd.remote` to be a non-empty string, got ''."],
      ['remote as an object', { remote: {} }, 'Expected `preProd.remote` to be a non-empty string, got an object.'],
      [
        'ftp remote',
        { remote: 'ftp://host/flux.git' },
        'Expected `preProd.remote` to be an http(s)://, ssh://, git:// or file:// URL, a scp-like user@host:path, ' +
          "or an absolute path, got 'ftp://host/flux.git'.",
      ],
      [
        'relative remote',
        { remote: 'upstream/flux.git' },
        'Expected `preProd.remote` to be an http(s)://, ssh://, git:// or file:// URL, a scp-like user@host:path, ' +
          "or an absolute path, got 'upstream/flux.git'.",
      ],
    ];

    for (const [label, patch, message] of cases) {
      it(label, () => {
        const error = caught(() => validateWith(patch));
        expect(error.kind).to.equal('config-invalid');
        expect(error.message).to.equal(message);
      });
    }

    it('rejects a non-object preProd', () => {
      expect(caught(() => validateSettings({ preProd: [] })).message).to.equal(
        'Expected `preProd` to be an object, got an empty array.',
      );
      expect(caught(() => validateSettings({})).message).to.equal('Expected `preProd` to be an object, got undefined.');
    });

    it('rejects non-object settings', () => {
      expect(caught(() => validateSettings(null)).message).to.equal('Expected the settings to be an object, got null.');
    });

    it('requires every field when given raw input', () => {
      const { restart: _dropped, ...rest } = DOCUMENTED_DEFAULTS.preProd;
      expect(caught(() => validateSettings({ preProd: rest })).message).to.equal(
        "Expected `preProd.restart` to be 'none', 'nodemon', 'exit' or 'auto', got undefined.",
      );
    });

    it('keeps the message short for a huge value', () => {
      const error = caught(() => validateWith({ remote: '-'.repeat(10_000_000) }));
      expect(error.message.length).to.be.below(200);
    });
  });

  describe('validateSettings accepts', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['probability 0 (kill switch)', { probability: 0 }],
      ['probability 1', { probability: 1 }],
      ['fractional days', { daysToNextEval: 0.5 }],
      ['3650 days', { daysToNextEval: 3650 }],
      ['no clock skew', { clockSkewMinutes: 0 }],
      ['one unhealthy boot', { maxUnhealthyBoots: 1 }],
      ['1 ms timeouts', { healthyAfterMs: 1, bootDeadlineMs: 1, fetchTimeoutMs: 1, installTimeoutMs: 1 }],
      ['restart none', { restart: 'none' }],
      ['restart nodemon', { restart: 'nodemon' }],
      ['restart exit', { restart: 'exit' }],
      ['a one-word install command', { installCommand: ['true'] }],
      ['branches with slashes', { branch: 'qa/preprod', productionBranch: 'release/main' }],
      ['a branch with a semicolon (no shell ever sees it)', { branch: 'a;b' }],
      ['the README clone URL', { remote: 'https://github.com/runonflux/flux' }],
      ['http with a port', { remote: 'http://127.0.0.1:8080/flux.git' }],
      ['ssh URL', { remote: 'ssh://git@github.com/RunOnFlux/flux.git' }],
      ['git URL', { remote: 'git://example.org/flux.git' }],
      ['file URL', { remote: 'file:///tmp/upstream.git' }],
      ['scp-like', { remote: 'git@github.com:RunOnFlux/flux.git' }],
      ['scp-like without user', { remote: 'github.com:RunOnFlux/flux.git' }],
      ['absolute path with a space', { remote: '/tmp/up stream.git' }],
    ];
    for (const [label, patch] of cases) {
      it(label, () => {
        const settings = validateWith(patch) as unknown as { preProd: Record<string, unknown> };
        for (const [key, value] of Object.entries(patch)) expect(settings.preProd[key]).to.deep.equal(value);
      });
    }

    it('ignores keys outside preProd', () => {
      const settings = validateSettings({ ...DOCUMENTED_DEFAULTS, database: { url: '127.0.0.1' }, server: 1 });
      expect(settings).to.deep.equal(DOCUMENTED_DEFAULTS);
    });
  });

  describe('validateSettings rejects remotes', () => {
    const remotes = [
      'https://',
      'file:///',
      'ftp://example.org/x',
      'ssh://git@github.com:RunOnFlux/flux.git',
      './flux',
      'flux',
      'git@github.com',
      'user@:path',
      'host name:path',
      '-oProxyCommand=x',
      'https://github.com/x\ty',
    ];
    for (const remote of remotes) {
      it(JSON.stringify(remote), () => {
        const error = caught(() => validateWith({ remote }));
        expect(error.kind).to.equal('config-invalid');
        expect(error.message).to.match(/^Expected `preProd\.remote` /);
      });
    }
  });

  describe('mergeFragments', () => {
    it('lets later fragments win and merges nested objects key by key', () => {
      const merged = mergeFragments(
        { preProd: { probability: 0.07, branch: 'preprod' }, other: 1 },
        { preProd: { probability: 0.1 } },
        { preProd: { probability: 0.2, remote: '/tmp/x' } },
      );
      expect(merged).to.deep.equal({ preProd: { probability: 0.2, branch: 'preprod', remote: '/tmp/x' }, other: 1 });
    });

    it('replaces arrays instead of merging them', () => {
      const merged = mergeFragments({ a: { list: [1, 2, 3] } }, { a: { list: [9] } });
      expect(merged).to.deep.equal({ a: { list: [9] } });
    });

    it('replaces an object by a scalar and a scalar by an object', () => {
      expect(mergeFragments({ a: { b: 1 } }, { a: 2 })).to.deep.equal({ a: 2 });
      expect(mergeFragments({ a: 2 }, { a: { b: 1 } })).to.deep.equal({ a: { b: 1 } });
    });

    it('skips undefined fragments and values, keeps null values', () => {
      const merged = mergeFragments({ a: 1, b: 2 }, undefined, null, { a: undefined, b: null });
      expect(merged).to.deep.equal({ a: 1, b: null });
    });

    it('treats class instances as values, not as objects to merge', () => {
      const when = new Date(0);
      const merged = mergeFragments({ a: { b: 1 } }, { a: when });
      expect(merged.a).to.equal(when);
    });

    it('shares no object or array with its inputs', () => {
      const first = { preProd: { installCommand: ['npm'] } };
      const second = { nested: { deep: { x: [{ y: 1 }] } } };
      const merged = mergeFragments(first, second) as any;
      merged.preProd.installCommand.push('x');
      merged.nested.deep.x[0].y = 2;
      expect(first).to.deep.equal({ preProd: { installCommand: ['npm'] } });
      expect(second).to.deep.equal({ nested: { deep: { x: [{ y: 1 }] } } });
    });

    it('rejects a fragment that is not an object', () => {
      const error = caught(() => mergeFragments({}, ['x']));
      expect(error.kind).to.equal('config-invalid');
      expect(error.message).to.equal('Expected settings fragment 2 to be an object, got an array.');
    });

    it('rejects cycles and absurd nesting instead of overflowing the stack', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      let deep: Record<string, unknown> = {};
      for (let i = 0; i < 100_000; i += 1) deep = { a: deep };
      for (const fragment of [cyclic, deep, { list: JSON.parse('['.repeat(1000) + ']'.repeat(1000)) }]) {
        const error = caught(() => mergeFragments(fragment));
        expect(error.message).to.equal('Expected the settings to be nested at most 64 levels deep.');
      }
    });

    describe('prototype pollution', () => {
      const hostile = [
        '{"__proto__": {"polluted": "yes"}}',
        '{"preProd": {"__proto__": {"polluted": "yes"}}}',
        '{"constructor": {"prototype": {"polluted": "yes"}}}',
        '{"preProd": {"constructor": {"prototype": {"polluted": "yes"}}}}',
        '{"a": [{"__proto__": {"polluted": "yes"}}]}',
        '{"prototype": {"polluted": "yes"}}',
      ];
      for (const json of hostile) {
        it(`ignores ${json}`, () => {
          const merged = mergeFragments({ preProd: {} }, JSON.parse(json), JSON.parse(json));
          expect(({} as any).polluted).to.equal(undefined);
          expect((Object.prototype as any).polluted).to.equal(undefined);
          expect((merged as any).polluted).to.equal(undefined);
          expect((merged.preProd as any).polluted).to.equal(undefined);
          expectNoUnsafeKeys(merged);
        });
      }

      it('keeps the settings valid: ignored keys are not unknown settings', () => {
        const merged = mergeFragments(defaultSettings(), JSON.parse('{"preProd": {"__proto__": {"probability": 1}}}'));
        expect(validateSettings(merged).preProd.probability).to.equal(0.07);
      });
    });
  });

  describe('describeValue and escapeText', () => {
    const cases: [string, unknown, string][] = [
      ['undefined', undefined, 'undefined'],
      ['null', null, 'null'],
      ['NaN', NaN, 'NaN'],
      ['-0', -0, '-0'],
      ['a large number', 1e21, '1e+21'],
      ['a bigint', BigInt(5), '5n'],
      ['false', false, 'false'],
      ['a symbol', Symbol('x'), 'a symbol'],
      ['a function', () => 1, 'a function'],
      ['an empty array', [], 'an empty array'],
      ['an array', [1], 'an array'],
      ['an object', { a: 1 }, 'an object'],
      ['a Date', new Date(0), 'an object'],
      ['a string with controls', 'a\r\n\tb\u0007', "'a\\r\\n\\tb\\u0007'"],
      ['a bidi override', 'a\u202eb', "'a\\u202eb'"],
      ['a lone surrogate', 'a\ud800', "'a\\ud800'"],
      ['40 emoji exactly', '🚀'.repeat(40), `'${'🚀'.repeat(40)}'`],
      ['41 emoji', '🚀'.repeat(41), `'${'🚀'.repeat(40)}…'`],
    ];
    for (const [label, value, shown] of cases) {
      it(label, () => {
        expect(describeValue(value)).to.equal(shown);
      });
    }

    it('leaves quotes alone outside quoted text', () => {
      expect(escapeText("it's a\\b\n")).to.equal("it's a\\b\\n");
    });
  });

  describe('readSettings', () => {
    let dir: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-test-'));
    });
    after(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    function writeFile(name: string, content: string | Buffer): string {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      return file;
    }

    it('returns the defaults with no file and no overrides', () => {
      expect(readSettings({})).to.deep.equal(DOCUMENTED_DEFAULTS);
    });

    it('merges defaults ← file ← overrides', () => {
      const configFile = writeFile(
        'ok.json',
        JSON.stringify({
          preProd: { probability: 0.1, remote: '/srv/upstream.git', daysToNextEval: 7 },
          unrelated: true,
        }),
      );
      const settings = readSettings({ configFile, overrides: { preProd: { probability: 0.2, restart: 'none' } } });
      expect(settings.preProd).to.deep.equal({
        ...DOCUMENTED_DEFAULTS.preProd,
        probability: 0.2,
        remote: '/srv/upstream.git',
        daysToNextEval: 7,
        restart: 'none',
      });
    });

    it('reads a file saved with a byte-order mark', () => {
      const configFile = writeFile('bom.json', `\ufeff${JSON.stringify({ preProd: { probability: 0.3 } })}`);
      expect(readSettings({ configFile }).preProd.probability).to.equal(0.3);
    });

    it('resolves a relative path and names it absolutely in errors', () => {
      const relative = path.relative(process.cwd(), path.join(dir, 'nope.json'));
      expect(caught(() => readSettings({ configFile: relative })).message).to.equal(
        `Cannot read config file ${path.join(dir, 'nope.json')}: no such file.`,
      );
    });

    it('does not let a hostile file pollute prototypes', () => {
      const configFile = writeFile(
        'proto.json',
        '{"__proto__": {"polluted": 1}, "preProd": {"__proto__": {"polluted": 1}}}',
      );
      expect(readSettings({ configFile })).to.deep.equal(DOCUMENTED_DEFAULTS);
      expect(({} as any).polluted).to.equal(undefined);
    });

    const failures: [string, () => string, (file: string) => string | RegExp][] = [
      ['a missing file', () => path.join(dir, 'missing.json'), (f) => `Cannot read config file ${f}: no such file.`],
      ['a directory', () => dir, (f) => `Cannot read config file ${f}: it is a directory.`],
      ['an empty file', () => writeFile('empty.json', ' \n'), (f) => `Cannot read config file ${f}: it is empty.`],
      [
        'a broken file',
        () => writeFile('broken.json', '{\n  "preProd": {\n    "probability": 0.1\n    "branch": "x"\n  }\n}'),
        (f) =>
          new RegExp(`^Cannot read config file ${escapeRegExp(f)}: invalid JSON at line 4, column 5 \\([^\\n]+\\)\\.$`),
      ],
      [
        'a truncated file',
        () => writeFile('truncated.json', '{"preProd": {"probability": 0.1'),
        (f) => new RegExp(`^Cannot read config file ${escapeRegExp(f)}: invalid JSON[^\\n]*\\.$`),
      ],
      [
        'a JSON array',
        () => writeFile('array.json', '[1]'),
        (f) => `Cannot read config file ${f}: expected a JSON object, got an array.`,
      ],
      [
        'a file over 1 MiB',
        () => writeFile('big.json', `{"x": "${'y'.repeat(1024 * 1024)}"}`),
        (f) => `Cannot read config file ${f}: it is larger than 1 MiB.`,
      ],
      [
        'a file with a typo',
        () => writeFile('typo.json', '{"preProd": {"probabilty": 0.1}}'),
        () => 'Unknown setting `preProd.probabilty`.',
      ],
      [
        'a file with a bad value',
        () => writeFile('bad.json', '{"preProd": {"probability": "0.07"}}'),
        () => "Expected `preProd.probability` to be a number from 0 to 1, got '0.07'.",
      ],
    ];
    for (const [label, makeFile, expected] of failures) {
      it(`fails on ${label} with one sentence`, () => {
        const configFile = makeFile();
        const error = caught(() => readSettings({ configFile }));
        expect(error.kind).to.equal('config-invalid');
        expect(error.exitCode).to.equal(2);
        const want = expected(configFile);
        if (typeof want === 'string') expect(error.message).to.equal(want);
        else expect(error.message).to.match(want);
        expect(error.message).to.not.include('\n');
      });
    }

    const leaky = [`{"preProd": "${'s3cr3t'.repeat(10)}" }}`, `{"preProd": ${'s3cr3t'.repeat(10)}}`, '{"s3cr3t": 1,}'];
    for (const [index, content] of leaky.entries()) {
      it(`never echoes the file content in a JSON error (${index + 1})`, () => {
        const configFile = writeFile(`secret${index}.json`, content);
        const error = caught(() => readSettings({ configFile }));
        expect(error.message).to.match(/: invalid JSON/);
        expect(error.message).to.not.include('s3cr3t');
      });
    }

    it('rejects overrides that are not an object', () => {
      expect(caught(() => readSettings({ overrides: 'probability=1' })).message).to.equal(
        "Expected the settings overrides to be an object, got 'probability=1'.",
      );
    });

    it('validates overrides like any other fragment', () => {
      expect(caught(() => readSettings({ overrides: { preProd: { probability: 2 } } })).message).to.equal(
        'Expected `preProd.probability` to be a number from 0 to 1, got 2.',
      );
    });
  });
});

/** Every object in `value` has the ordinary prototype and no own key that could reach it. */
function expectNoUnsafeKeys(value: unknown, at = 'merged'): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => expectNoUnsafeKeys(item, `${at}[${index}]`));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  expect(Object.getPrototypeOf(value), `prototype of ${at}`).to.equal(Object.prototype);
  for (const key of Object.keys(value)) {
    expect(['__proto__', 'constructor', 'prototype'], `key of ${at}`).to.not.include(key);
    expectNoUnsafeKeys((value as Record<string, unknown>)[key], `${at}.${key}`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
