import { expect } from 'chai';
import * as path from 'node:path';

/** tools/lint/size.js is plain JavaScript run by `npm run lint`; the test loads it from the package root. */
interface Violation {
  line: number;
  message: string;
}
interface SizeChecker {
  LIMITS: { functionLines: number; fileLines: number; orchestratorLines: number; lineChars: number };
  checkText(relativePath: string, text: string): Violation[];
}
// build/test/unit → the package root.
const size = require(path.resolve(__dirname, '../../../tools/lint/size.js')) as SizeChecker;

/** A function declaration spanning exactly `lines` lines, braces in strings and a regex inside. */
function functionOf(name: string, lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) =>
    i % 3 === 0 ? `  const s = '}}}' + '{${i}';` : '  x += /}/.source;',
  );
  return [`function ${name}(x) {`, ...body, '}'].join('\n');
}

const MARKER = '// size: orchestrator: the boot reads in one place, in the order it runs';

const messages = (relativePath: string, text: string): string[] =>
  size.checkText(relativePath, text).map((v) => `${v.line}: ${v.message}`);

describe('the size limits of npm run lint (tools/lint/size.js)', function () {
  it('has the limits the design states: 60-line functions, 300-line files (400: orchestrator), 120 chars', function () {
    expect(size.LIMITS).to.deep.equal({ functionLines: 60, fileLines: 300, orchestratorLines: 400, lineChars: 120 });
  });

  const functionCases = [
    { what: 'a 60-line function', text: functionOf('fits', 60), expected: [] },
    {
      what: 'a 61-line function',
      text: functionOf('tooLong', 61),
      expected: ['1: function tooLong of 61 lines (limit 60)'],
    },
    {
      what: 'an arrow function assigned to a const, after a JSDoc that does not count',
      text: `/**\n * doc\n */\nexport const handler = ${functionOf('', 61).replace('function (x)', '(x) =>')};\n`,
      expected: ['4: function handler of 61 lines (limit 60)'],
    },
    {
      what: 'a method inside a class, and the class itself is no function',
      text: `class A {\n  method() {\n${'    void 0;\n'.repeat(60)}  }\n}\n`,
      expected: ['2: function method of 62 lines (limit 60)'],
    },
    {
      what: 'a nested long function: counted in its parent too',
      text: `function outer() {\n  ${functionOf('inner', 61)}\n}\n`,
      expected: ['1: function outer of 63 lines (limit 60)', '2: function inner of 61 lines (limit 60)'],
    },
  ];
  for (const testCase of functionCases) {
    it(`src/: ${testCase.what}`, function () {
      expect(messages('src/x.ts', testCase.text)).to.deep.equal(testCase.expected);
    });
  }

  it('applies the function and file limits to src/ only', function () {
    const long = `${functionOf('tooLong', 61)}\n${'// filler\n'.repeat(300)}`;
    expect(messages('test/unit/x.test.ts', long)).to.deep.equal([]);
    expect(messages('bench/x.bench.ts', long)).to.deep.equal([]);
    expect(messages('src/x.ts', long)).to.deep.equal([
      '1: file of 361 lines (limit 300)',
      '1: function tooLong of 61 lines (limit 60)',
    ]);
  });

  const fileCases = [
    { lines: 300, expected: [] },
    { lines: 301, expected: ['1: file of 301 lines (limit 300)'] },
  ];
  for (const testCase of fileCases) {
    it(`src/: a file of ${testCase.lines} lines, with or without a final newline`, function () {
      const lines = Array.from({ length: testCase.lines }, (_, i) => `export const v${i} = ${i};`);
      expect(messages('src/x.ts', `${lines.join('\n')}\n`)).to.deep.equal(testCase.expected);
      expect(messages('src/x.ts', lines.join('\n'))).to.deep.equal(testCase.expected);
    });
  }

  const orchestratorCases = [
    { what: 'with the marker and its reason: 400 lines', marker: MARKER, lines: 400, expected: [] },
    {
      what: 'with the marker and its reason: 401 lines',
      marker: MARKER,
      lines: 401,
      expected: ['1: file of 401 lines (limit 400, an orchestrator)'],
    },
    {
      what: 'with a marker that gives no reason',
      marker: '// size: orchestrator:',
      lines: 350,
      expected: ['1: file of 350 lines (limit 300)'],
    },
    {
      what: 'with the marker below the first 10 lines',
      marker: `${'// header\n'.repeat(10)}${MARKER}`,
      lines: 350,
      expected: ['1: file of 350 lines (limit 300)'],
    },
  ];
  for (const testCase of orchestratorCases) {
    it(`src/: an orchestrator file ${testCase.what}`, function () {
      const head = testCase.marker.split('\n');
      const body = Array.from({ length: testCase.lines - head.length }, (_, i) => `export const v${i} = ${i};`);
      expect(messages('src/boot/flow.ts', [...head, ...body].join('\n'))).to.deep.equal(testCase.expected);
    });
  }

  const widthCases = [
    { what: '120 characters', line: `// ${'x'.repeat(117)}`, expected: [] },
    { what: '121 characters', line: `// ${'x'.repeat(118)}`, expected: ['2: line of 121 characters (limit 120)'] },
    { what: '120 characters that take more bytes (arrows)', line: `// ${'→'.repeat(117)}`, expected: [] },
    { what: '120 characters and a CRLF ending', line: `// ${'x'.repeat(117)}\r`, expected: [] },
  ];
  for (const testCase of widthCases) {
    for (const where of ['src/x.ts', 'test/x.test.ts', 'bench/x.bench.ts']) {
      it(`${where}: a line of ${testCase.what}`, function () {
        expect(messages(where, `const a = 1;\n${testCase.line}\nconst b = 2;\n`)).to.deep.equal(testCase.expected);
      });
    }
  }
});
