import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { caught } from '../support/caught';
import { parseUserFlags, readUserFlags } from '../../src/config/userconfig';
import type { UserFlags } from '../../src/types';


/** A FluxOS-shaped userconfig.js whose `initial` block gets `extra` appended verbatim. */
function userconfigSource(extra: string): string {
  return `module.exports = {
  initial: {
    ipaddress: '127.0.0.1',
    zelid: '1abc',
    kadena: '',
    testnet: false,
    apiport: 16127,
    routerIP: '',
    blockedPorts: [],
    blockedRepositories: [],
    ${extra}
  },
};
`;
}

describe('userconfig', () => {
  let dir: string;
  let counter = 0;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'userconfig-test-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh config/userconfig.js under its own directory, as on a node. */
  function writeUserconfig(source: string): string {
    counter += 1;
    const configDir = path.join(dir, `node${counter}`, 'config');
    fs.mkdirSync(configDir, { recursive: true });
    const file = path.join(configDir, 'userconfig.js');
    fs.writeFileSync(file, source);
    return file;
  }

  describe('readUserFlags', () => {
    it('reads a FluxOS userconfig without the flags as no opt-outs', () => {
      const file = writeUserconfig(userconfigSource('development: false,'));
      expect(readUserFlags(file)).to.deep.equal({ development: false, disablePreProd: undefined });
    });

    it('treats a missing file as no opt-outs', () => {
      expect(readUserFlags(path.join(dir, 'absent', 'config', 'userconfig.js'))).to.deep.equal({
        development: false,
        disablePreProd: undefined,
      });
    });

    const disableCases: [string, boolean | undefined][] = [
      ['disablePreProd: true,', true],
      ['disablePreProd: false,', false],
      ["disablePreProd: 'true',", true],
      ["disablePreProd: ' FALSE ',", false],
      ["disablePreProd: 'True',", true],
      ['disablePreProd: 1,', true],
      ['disablePreProd: 0,', false],
      ['disablePreProd: null,', undefined],
      ['disablePreProd: undefined,', undefined],
      ['', undefined],
    ];
    for (const [line, expected] of disableCases) {
      it(`reads \`${line || '(no disablePreProd)'}\` as ${String(expected)}`, () => {
        const file = writeUserconfig(userconfigSource(line));
        expect(readUserFlags(file)).to.deep.equal({ development: false, disablePreProd: expected });
      });
    }

    const badDisableCases: [string, string][] = [
      ["disablePreProd: 'maybe',", "'maybe'"],
      ["disablePreProd: '',", "''"],
      ["disablePreProd: 'yes',", "'yes'"],
      ['disablePreProd: 2,', '2'],
      ['disablePreProd: NaN,', 'NaN'],
      ['disablePreProd: {},', 'an object'],
      ['disablePreProd: [true],', 'an array'],
    ];
    for (const [line, shown] of badDisableCases) {
      it(`rejects \`${line}\` in one sentence`, () => {
        const file = writeUserconfig(userconfigSource(line));
        const error = caught(() => readUserFlags(file));
        expect(error.kind).to.equal('userconfig-invalid');
        expect(error.exitCode).to.equal(2);
        expect(error.message).to.equal(`Expected \`initial.disablePreProd\` in ${file} to be true or false, got ${shown}.`);
      });
    }

    // FluxOS tests `userconfig.initial.development` for truthiness; so do we, even for the string 'false'.
    const developmentCases: [string, boolean][] = [
      ['development: true,', true],
      ['development: 1,', true],
      ["development: 'yes',", true],
      ["development: 'false',", true],
      ['development: {},', true],
      ['development: false,', false],
      ['development: 0,', false],
      ["development: '',", false],
      ['development: null,', false],
      ['', false],
    ];
    for (const [line, expected] of developmentCases) {
      it(`reads \`${line || '(no development)'}\` as development ${String(expected)}`, () => {
        const file = writeUserconfig(userconfigSource(line));
        expect(readUserFlags(file).development).to.equal(expected);
      });
    }

    const brokenCases: [string, string, (file: string) => string | RegExp][] = [
      [
        'a syntax error',
        "module.exports = {\n  initial: {\n    development: false\n    disablePreProd: true,\n  },\n};\n",
        (f) => new RegExp(`^Cannot load ${escapeRegExp(f)}: syntax error at line 4 \\(.+\\)\\.$`),
      ],
      [
        // Before Node 20.19 `export` is a syntax error in CommonJS; from 20.19 Node loads it as an ES module.
        'ESM syntax',
        'export default { initial: { disablePreProd: true } };\n',
        (f) => new RegExp(`^Cannot load ${escapeRegExp(f)}: (syntax error at line 1 \\(.+\\)|it is an ES module, not CommonJS)\\.$`),
      ],
      ['a throw', "throw new Error('boom');\n", (f) => `Cannot load ${f}: it threw Error: boom.`],
      ['a thrown string', "throw 'just a string';\n", (f) => `Cannot load ${f}: it threw just a string.`],
      [
        'a runtime JSON.parse failure (a SyntaxError that is not a syntax error of the file)',
        "module.exports = JSON.parse('{');\n",
        (f) => new RegExp(`^Cannot load ${escapeRegExp(f)}: it threw SyntaxError: .+\\.$`),
      ],
      ['a missing require', "require('./nope');\n", (f) => new RegExp(`^Cannot load ${escapeRegExp(f)}: it threw Error: Cannot find module '\\./nope'.*\\.$`)],
      ['a number export', 'module.exports = 42;\n', (f) => `Cannot load ${f}: it exports 42, not an object.`],
      ['an array export', 'module.exports = [];\n', (f) => `Cannot load ${f}: it exports an empty array, not an object.`],
      ['no initial block', 'module.exports = {};\n', (f) => `Cannot load ${f}: its \`initial\` is undefined, not an object.`],
      ['a string initial', "module.exports = { initial: 'x' };\n", (f) => `Cannot load ${f}: its \`initial\` is 'x', not an object.`],
      [
        'a getter that throws',
        "module.exports = { initial: { get development() { throw new Error('nope'); } } };\n",
        (f) => `Cannot load ${f}: reading its flags threw nope.`,
      ],
      [
        'a multi-line error message',
        "throw new Error('first line\\nsecond line');\n",
        (f) => `Cannot load ${f}: it threw Error: first line.`,
      ],
    ];
    for (const [label, source, expected] of brokenCases) {
      it(`fails on ${label} with userconfig-invalid in one sentence`, () => {
        const file = writeUserconfig(source);
        const error = caught(() => readUserFlags(file));
        expect(error.kind).to.equal('userconfig-invalid');
        const want = expected(file);
        if (typeof want === 'string') expect(error.message).to.equal(want);
        else expect(error.message).to.match(want);
        expect(error.message).to.not.include('\n');
      });
    }

    it('fails on a directory in place of the file', () => {
      const file = writeUserconfig('');
      fs.rmSync(file);
      fs.mkdirSync(file);
      expect(caught(() => readUserFlags(file)).message).to.equal(`Cannot load ${file}: it is a directory.`);
    });

    it('reads the file fresh on every call, even when the host has required it', () => {
      const file = writeUserconfig(userconfigSource('disablePreProd: true,'));
      // The host's own require() caches the first version; we must not see that cache.
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const hostCopy = require(file) as { initial: { disablePreProd: unknown } };
      try {
        expect(readUserFlags(file).disablePreProd).to.equal(true);
        fs.writeFileSync(file, userconfigSource('disablePreProd: false, development: true,'));
        expect(readUserFlags(file)).to.deep.equal({ development: true, disablePreProd: false });
        fs.writeFileSync(file, userconfigSource(''));
        expect(readUserFlags(file)).to.deep.equal({ development: false, disablePreProd: undefined });
        expect(hostCopy.initial.disablePreProd).to.equal(true);
      } finally {
        delete require.cache[file];
      }
    });

    it('leaves require.cache alone', () => {
      const file = writeUserconfig(userconfigSource('disablePreProd: true,'));
      readUserFlags(file);
      expect(require.cache[file]).to.equal(undefined);
    });

    it('gives the file a working require, __dirname and __filename', () => {
      const file = writeUserconfig(
        "const extra = require('./extra');\nmodule.exports = { initial: { disablePreProd: extra.off, development: __filename === require('path').join(__dirname, 'userconfig.js') } };\n",
      );
      fs.writeFileSync(path.join(path.dirname(file), 'extra.js'), 'module.exports = { off: true };\n');
      expect(readUserFlags(file)).to.deep.equal({ development: true, disablePreProd: true });
    });

    it('reads a file saved with a byte-order mark', () => {
      const file = writeUserconfig(`\ufeff${userconfigSource('disablePreProd: true,')}`);
      expect(readUserFlags(file).disablePreProd).to.equal(true);
    });

    it('resolves a relative path and names it absolutely', () => {
      const file = writeUserconfig("module.exports = { initial: { disablePreProd: 'maybe' } };\n");
      const error = caught(() => readUserFlags(path.relative(process.cwd(), file)));
      expect(error.message).to.equal(`Expected \`initial.disablePreProd\` in ${file} to be true or false, got 'maybe'.`);
    });
  });

  describe('parseUserFlags', () => {
    const file = '/node/config/userconfig.js';
    const cases: [string, unknown, UserFlags][] = [
      ['an empty initial', { initial: {} }, { development: false, disablePreProd: undefined }],
      ['both flags', { initial: { development: true, disablePreProd: true } }, { development: true, disablePreProd: true }],
      ['explicit false opt-out', { initial: { disablePreProd: false } }, { development: false, disablePreProd: false }],
      ['a numeric opt-out', { initial: { disablePreProd: 1 } }, { development: false, disablePreProd: true }],
      ['a string opt-in', { initial: { disablePreProd: '\tfalse\n' } }, { development: false, disablePreProd: false }],
    ];
    for (const [label, exported, flags] of cases) {
      it(`reads ${label}`, () => {
        expect(parseUserFlags(exported, file)).to.deep.equal(flags);
      });
    }

    const failures: [string, unknown, string][] = [
      ['null', null, `Cannot load ${file}: it exports null, not an object.`],
      ['a function', () => ({}), `Cannot load ${file}: it exports a function, not an object.`],
      ['initial null', { initial: null }, `Cannot load ${file}: its \`initial\` is null, not an object.`],
      [
        'a huge opt-out string',
        { initial: { disablePreProd: 'y'.repeat(1_000_000) } },
        `Expected \`initial.disablePreProd\` in ${file} to be true or false, got '${'y'.repeat(40)}…'.`,
      ],
      [
        'an opt-out with a newline',
        { initial: { disablePreProd: 'true\nfalse' } },
        `Expected \`initial.disablePreProd\` in ${file} to be true or false, got 'true\\nfalse'.`,
      ],
    ];
    for (const [label, exported, message] of failures) {
      it(`rejects ${label}`, () => {
        const error = caught(() => parseUserFlags(exported, file));
        expect(error.kind).to.equal('userconfig-invalid');
        expect(error.message).to.equal(message);
      });
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
