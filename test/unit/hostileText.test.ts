/** The one text module: credentials never echoed, one quoting style. */
import { expect } from 'chai';
import { describeValue, isPlainObject, jsonErrorReason, quoted, redact, redactUrls } from '../../src/text';

describe('text: redact()', () => {
  const cases: [string, string][] = [
    ['mongodb://admin:S3cretPass@h/db?badOption=1', 'mongodb://***@h/db?badOption=1'],
    ['mongodb://admin:S3c@retPass@h/db', 'mongodb://***@h/db'],
    ['mongodb://admin:a@b@c@127.0.0.1:27017/zelfluxlocal', 'mongodb://***@127.0.0.1:27017/zelfluxlocal'],
    ['mongodb://admin:p/ss@h/db', 'mongodb://***@h/db'],
    ['mongodb://admin:p?ss@h/db', 'mongodb://***@h/db'],
    ['mongodb://admin:p#ss@h/db', 'mongodb://***@h/db'],
    ['mongodb://admin:p ss@h/db', 'mongodb://***@h/db'],
    ['mongodb+srv://u:p@cluster.example/db', 'mongodb+srv://***@cluster.example/db'],
    ['mongodb://127.0.0.1:27017/zelfluxlocal', 'mongodb://127.0.0.1:27017/zelfluxlocal'],
    ['mongodb://h/db?authSource=admin&password=hunter2&x=1', 'mongodb://h/db?authSource=admin&password=***&x=1'],
    ['file:/var/lib/state.json', 'file:/var/lib/state.json'],
  ];
  for (const [url, expected] of cases) {
    it(`${url} → ${expected}`, () => {
      expect(redact(url)).to.equal(expected);
    });
  }
});

describe('text: redactUrls()', () => {
  const cases: [string, string][] = [
    [
      'Cannot reach MongoDB at mongodb://a:S3c@ret@h:1/db: timeout',
      'Cannot reach MongoDB at mongodb://***@h:1/db: timeout',
    ],
    ["got 'mongodb://a:b@c@h/db'.", "got 'mongodb://***@h/db'."],
    ['two: http://u:p@a/x and https://v:q@b/y', 'two: http://***@a/x and https://***@b/y'],
    ['no url here', 'no url here'],
  ];
  for (const [text, expected] of cases) {
    it(`${text} → ${expected}`, () => {
      expect(redactUrls(text)).to.equal(expected);
    });
  }
});

describe('text: one quoting style', () => {
  it('quotes strings in single quotes, escaping quotes, backslashes and controls', () => {
    expect(quoted("it's\\a\nb")).to.equal("'it\\'s\\\\a\\nb'");
    expect(describeValue('x')).to.equal("'x'");
    expect(quoted('x'.repeat(100), 10)).to.equal(`'${'x'.repeat(10)}…'`);
  });

  it('isPlainObject: literals and null-prototype records, not arrays, dates or instances', () => {
    expect([{}, Object.create(null), JSON.parse('{"a":1}')].map(isPlainObject)).to.deep.equal([true, true, true]);
    expect([[], new Date(), new (class X {})(), null, 'x'].map(isPlainObject)).to.deep.equal([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('jsonErrorReason never repeats the input', () => {
    for (const text of ['root:$6$S3cret', 'S3cret', '{"a": S3cret}', '{"a":1']) {
      let error: unknown;
      try {
        JSON.parse(text);
      } catch (e) {
        error = e;
      }
      const reason = jsonErrorReason(error, text);
      expect(reason).to.match(/^invalid JSON/);
      expect(reason).not.to.match(/S3cret|root|'S'|'r'/);
    }
  });
});
