import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

/**
 * Written for these tests in the shape FluxOS's own file has on a node: a comment header,
 * the `initial` block FluxOS writes, PGP keys as multi-line template literals, comments
 * beside values, and the two flags given as source text.
 */
function realShapedUserconfig(flags: { development: string; disablePreProd: string }): string {
  return `// Flux node configuration. Edited by hand and rewritten by FluxOS.
/* eslint-disable */
module.exports = {
  initial: {
    ipaddress: '198.51.100.23',
    zelid: '1HpNodeOperatorExampleZelIdXXXXXXX',
    kadena: 'k:0000000000000000000000000000000000000000000000000000000000000000?chainid=0',
    testnet: false,
    development: ${flags.development}, // never true on a production node
    apiport: 16127,
    routerIP: '',
    pgpPrivateKey: \`-----BEGIN PGP PRIVATE KEY BLOCK-----

xVgEZk3example+made+up+for+tests+only+AAAAAAAAAAAAAAAAAAAAAAAAAA
=AbCd
-----END PGP PRIVATE KEY BLOCK-----
\`,
    pgpPublicKey: \`-----BEGIN PGP PUBLIC KEY BLOCK-----

xjMEZk3example+public+part+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
-----END PGP PUBLIC KEY BLOCK-----
\`,
    blockedPorts: [30001, 30002],
    blockedRepositories: ['someone/image'],
    disablePreProd: ${flags.disablePreProd}, // the operator's opt-out
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

    it(
      'reads both flags from a file shaped like a real FluxOS userconfig.js (comments, template-literal PGP ' + 'keys)',
      () => {
        const file = writeUserconfig(realShapedUserconfig({ development: 'false', disablePreProd: 'true' }));
        expect(readUserFlags(file)).to.deep.equal({ development: false, disablePreProd: true });
        const other = writeUserconfig(realShapedUserconfig({ development: "'1'", disablePreProd: '`false`' }));
        expect(readUserFlags(other)).to.deep.equal({ development: true, disablePreProd: false });
      },
    );

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
        expect(error.message).to.equal(
          `Expected \`initial.disablePreProd\` in ${file} to be true or false, got ${shown}.`,
        );
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
        'module.exports = {\n  initial: {\n    development: false\n    disablePreProd: true,\n  },\n};\n',
        (f) => `Cannot load ${f}: syntax error at line 4, column 5 (Unexpected token).`,
      ],
      [
        'ESM syntax',
        'export default { initial: { disablePreProd: true } };\n',
        (f) => `Cannot load ${f}: it is an ES module, not CommonJS.`,
      ],
      [
        'a throw and no export',
        "throw new Error('boom');\n",
        (f) => `Cannot load ${f}: it has no top-level \`module.exports = {…}\`.`,
      ],
      [
        'exports built by a function call',
        "module.exports = JSON.parse('{}');\n",
        (f) => `Cannot load ${f}: its \`module.exports\` is a function call, not an object literal.`,
      ],
      [
        'a flag from require()',
        "module.exports = { initial: { disablePreProd: require('./extra').off } };\n",
        (f) =>
          `Expected \`initial.disablePreProd\` in ${f} to be a plain value, got a property read (the file is read, ` +
          `never run).`,
      ],
      [
        'a development flag from the environment',
        'module.exports = { initial: { development: process.env.DEV === "1" } };\n',
        (f) =>
          `Expected \`initial.development\` in ${f} to be a plain value, got an operator expression (the file is ` +
          `read, never run).`,
      ],
      [
        'exports changed after the literal',
        'module.exports = { initial: {} };\nmodule.exports.initial.disablePreProd = true;\n',
        (f) => `Cannot load ${f}: code in it refers to \`module\` or \`exports\` besides its \`module.exports = {…}\`.`,
      ],
      ['a number export', 'module.exports = 42;\n', (f) => `Cannot load ${f}: it exports 42, not an object.`],
      [
        'an array export',
        'module.exports = [];\n',
        (f) => `Cannot load ${f}: it exports an empty array, not an object.`,
      ],
      [
        'no initial block',
        'module.exports = {};\n',
        (f) => `Cannot load ${f}: its \`initial\` is undefined, not an object.`,
      ],
      [
        'a string initial',
        "module.exports = { initial: 'x' };\n",
        (f) => `Cannot load ${f}: its \`initial\` is 'x', not an object.`,
      ],
      [
        'a getter',
        "module.exports = { initial: { get development() { throw new Error('nope'); } } };\n",
        (f) =>
          `Expected \`initial.development\` in ${f} to be a plain value, got a getter or setter (the file is read, ` +
          `never run).`,
      ],
      [
        'an identifier in the syntax error is not echoed',
        'module.exports = { initial: {} };\nlet secretName = 1; let secretName = 2;\n',
        (f) =>
          new RegExp(
            `^Cannot load ${escapeRegExp(f)}: syntax error at line 2, column \\d+ \\(Identifier … has already been ` +
              `declared\\)\\.$`,
          ),
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

    it('never runs the file: code beside the literal neither writes nor loops', () => {
      const marker = path.join(dir, 'pwned-by-userconfig');
      const file = writeUserconfig(
        `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x');\nwhile (true) ` +
          `{}\n${userconfigSource('disablePreProd: true,')}`,
      );
      expect(readUserFlags(file)).to.deep.equal({ development: false, disablePreProd: true });
      expect(fs.existsSync(marker)).to.equal(false);
    });

    for (const [label, make] of [
      ['a FIFO', (file: string) => execFileSync('mkfifo', [file])],
      ['a symlink to /dev/zero', (file: string) => fs.symlinkSync('/dev/zero', file)],
    ] as const) {
      it(`refuses ${label} without reading it`, () => {
        const file = writeUserconfig('');
        fs.rmSync(file);
        make(file);
        const error = caught(() => readUserFlags(file));
        expect(error.kind).to.equal('userconfig-invalid');
        expect(error.message).to.match(/^Cannot load .*: it is a (named pipe \(FIFO\)|device), not a regular file\.$/);
      });
    }

    it('refuses a file over 1 MiB', () => {
      const file = writeUserconfig(userconfigSource(`padding: '${'x'.repeat(1024 * 1024)}',`));
      expect(caught(() => readUserFlags(file)).message).to.equal(`Cannot load ${file}: it is larger than 1 MiB.`);
    });

    it('reads a file saved with a byte-order mark', () => {
      const file = writeUserconfig(`\ufeff${userconfigSource('disablePreProd: true,')}`);
      expect(readUserFlags(file).disablePreProd).to.equal(true);
    });

    it('resolves a relative path and names it absolutely', () => {
      const file = writeUserconfig("module.exports = { initial: { disablePreProd: 'maybe' } };\n");
      const error = caught(() => readUserFlags(path.relative(process.cwd(), file)));
      expect(error.message).to.equal(
        `Expected \`initial.disablePreProd\` in ${file} to be true or false, got 'maybe'.`,
      );
    });
  });

  describe('parseUserFlags', () => {
    const file = '/node/config/userconfig.js';
    const cases: [string, unknown, UserFlags][] = [
      ['an empty initial', { initial: {} }, { development: false, disablePreProd: undefined }],
      [
        'both flags',
        { initial: { development: true, disablePreProd: true } },
        { development: true, disablePreProd: true },
      ],
      ['explicit false opt-out', { initial: { disablePreProd: false } }, { development: false, disablePreProd: false }],
      ['a numeric opt-out', { initial: { disablePreProd: 1 } }, { development: false, disablePreProd: true }],
      ['a string opt-in', { initial: { disablePreProd: '\tfalse\n' } }, { development: false, disablePreProd: false }],
      [
        'a cyclic host object as development',
        (() => {
          const o: Record<string, unknown> = {};
          o.self = o;
          return { initial: { development: o } };
        })(),
        { development: true, disablePreProd: undefined },
      ],
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
