/** The static reader of userconfig.js: what it evaluates, and what it leaves as code. */
import { expect } from 'chai';
import { NotLiteral, UnreadableSource, findNotLiteral, staticExports } from '../../src/config/userconfigLiteral';

function exportsOf(source: string): unknown {
  return staticExports(source);
}

function reasonOf(source: string): string {
  try {
    staticExports(source);
  } catch (error) {
    expect(error).to.be.instanceOf(UnreadableSource);
    return (error as UnreadableSource).reason;
  }
  throw new Error('expected UnreadableSource');
}

/** A plain copy of a null-prototype tree, for deep.equal. */
function plain(value: unknown): unknown {
  if (value instanceof NotLiteral) return { notLiteral: value.what };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plain(item)]));
  }
  return value;
}

describe('userconfig.js read statically', () => {
  const values: [string, unknown][] = [
    ["'text'", 'text'],
    ['"text"', 'text'],
    ['`multi\nline`', 'multi\nline'],
    ['`tab\\tescape`', 'tab\tescape'],
    ['42', 42],
    ['-1.5', -1.5],
    ['+3', 3],
    ['0x10', 16],
    ['true', true],
    ['false', false],
    ['null', null],
    ['undefined', undefined],
    ['NaN', NaN],
    ['[]', []],
    ["[1, 'a', [true], { b: 2 }]", [1, 'a', [true], { b: 2 }]],
    ['{ nested: { deeper: `x` } }', { nested: { deeper: 'x' } }],
    ["{ 'quoted key': 1, 2: 'two', ['computed']: 3, [`tpl`]: 4 }", { 'quoted key': 1, 2: 'two', computed: 3, tpl: 4 }],
    ['{ a: 1, a: 2 }', { a: 2 }],
  ];
  for (const [source, expected] of values) {
    it(`evaluates ${source}`, () => {
      expect(plain(exportsOf(`module.exports = { v: ${source} };`))).to.deep.equal({ v: expected });
    });
  }

  const code: [string, string][] = [
    ['f()', 'a function call'],
    ['new Date()', 'a `new` expression'],
    ['someVariable', 'a variable'],
    ['process.env.X', 'a property read'],
    ['() => true', 'a function'],
    ['function () { return true; }', 'a function'],
    ['`a${b}`', 'a template literal with ${…}'],
    ['x ? 1 : 0', 'a conditional'],
    ['1 + 1', 'an operator expression'],
    ['!0', 'an operator expression'],
    ['/re/', 'a regular expression'],
    ['10n', 'a BigInt'],
    ['[1, f()]', 'a function call'],
    ['[...list]', 'an array spread'],
    ['{ ...base }', 'an object spread'],
    ['{ [key]: 1 }', 'an object with a computed key'],
    ['{ __proto__: { disablePreProd: true } }', 'an object that sets __proto__'],
    ['(x = 1)', 'an assignment'],
  ];
  for (const [source, what] of code) {
    it(`leaves ${source} as code (${what}), without failing the rest`, () => {
      const exported = exportsOf(`module.exports = { v: ${source}, other: 1 };`) as Record<string, unknown>;
      expect(plain(exported)).to.deep.equal({ v: { notLiteral: what }, other: 1 });
      expect(findNotLiteral(exported)?.what).to.equal(what);
    });
  }

  it('a getter and a method are code', () => {
    const exported = exportsOf('module.exports = { get a() { return 1; }, b() { return 2; } };');
    expect(plain(exported)).to.deep.equal({ a: { notLiteral: 'a getter or setter' }, b: { notLiteral: 'a method' } });
  });

  it('ignores statements that do not touch module or exports (they are never run)', () => {
    const source =
      "'use strict';\nconst fs = require('fs');\nfs.writeFileSync('/x', 'y');\nwhile (true) {}\nmodule.exports = { " +
      'a: 1 };\n';
    expect(plain(exportsOf(source))).to.deep.equal({ a: 1 });
  });

  it('names in property keys and member names are not references to module or exports', () => {
    expect(
      plain(exportsOf('const o = { module: 1, exports: 2 }; o.module = o.exports;\nmodule.exports = { a: 1 };')),
    ).to.deep.equal({ a: 1 });
  });

  it('accepts a hashbang and a top-level return', () => {
    expect(plain(exportsOf('#!/usr/bin/env node\nmodule.exports = { a: 1 };\nreturn;'))).to.deep.equal({ a: 1 });
  });

  const unreadable: [string, string, RegExp][] = [
    ['no export', 'const a = 1;', /no top-level `module\.exports = \{…\}`/],
    ['an export inside a block', 'if (true) { module.exports = { a: 1 }; }', /no top-level/],
    ['two exports', 'module.exports = { a: 1 };\nmodule.exports = { a: 2 };', /refers to `module` or `exports`/],
    ['a later change', 'module.exports = { a: 1 };\nmodule.exports.a = 2;', /refers to `module` or `exports`/],
    ['exports.x', 'module.exports = { a: 1 };\nexports.b = 2;', /refers to `module` or `exports`/],
    ['Object.assign', 'module.exports = { a: 1 };\nObject.assign(module.exports, { a: 2 });', /refers/],
    ['a shadowing module variable', 'var module = {};\nmodule.exports = { a: 1 };', /refers/],
    ['ESM', 'export const a = 1;', /^it is an ES module, not CommonJS$/],
    ['import', "import x from 'y';\nmodule.exports = {};", /^it is an ES module, not CommonJS$/],
    ['a syntax error', 'module.exports = { a: };', /^syntax error at line 1, column 23 \(Unexpected token\)$/],
    [
      'an unterminated string',
      "module.exports = { a: 'x };",
      /^syntax error at line 1, column 23 \(Unterminated string constant\)$/,
    ],
  ];
  for (const [label, source, reason] of unreadable) {
    it(`is unreadable: ${label}`, () => {
      expect(reasonOf(source)).to.match(reason);
    });
  }

  it('a literal nested 100,000 deep is refused in one sentence, without a stack overflow', () => {
    const deep = `module.exports = { a: ${'['.repeat(100_000)}${']'.repeat(100_000)} };`;
    const reason = reasonOf(deep);
    expect(reason).to.equal('it is nested too deeply to read');
  });

  it('a literal nested 70 deep is code, not a crash', () => {
    const exported = exportsOf(`module.exports = { a: ${'{b:'.repeat(70)}1${'}'.repeat(70)} };`);
    expect(findNotLiteral(exported)?.what).to.equal('nested too deeply');
  });
});
