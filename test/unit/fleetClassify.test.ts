import { expect } from 'chai';
import { classifyInfo, cleanField, isNodeState } from '../../src/fleet/scan';

function envelope(flux: unknown): unknown {
  return { status: 'success', data: { daemon: {}, flux } };
}

const preProd = { mode: 'preprod', reason: 'selected', branch: 'preprod', commit: 'abc', probability: 0.07, draw: 0.03, optedOut: false };
/** What the history keeps of `preProd` besides mode and reason. */
const kept = { commit: 'abc', draw: 0.03, probability: 0.07 };

describe('fleet classifyInfo', () => {
  const cases: { name: string; body: unknown; expected: Record<string, unknown> }[] = [
    {
      name: 'a preprod node',
      body: envelope({ version: '8.18.0', preProdNode: true, preProd }),
      expected: { kind: 'preprod', version: '8.18.0', branch: 'preprod', reason: 'selected', ...kept },
    },
    {
      name: 'a production node after a crash loop',
      body: envelope({ version: '8.17.0', preProdNode: false, preProd: { ...preProd, mode: 'production', reason: 'crash-loop', branch: 'master' } }),
      expected: { kind: 'production', version: '8.17.0', branch: 'master', reason: 'crash-loop', ...kept },
    },
    {
      name: 'an older FluxOS without preProdNode',
      body: envelope({ version: '8.16.0', staticIp: true }),
      expected: { kind: 'unknown', version: '8.16.0' },
    },
    {
      name: 'preProdNode as the string "true"',
      body: envelope({ version: '8.18.0', preProdNode: 'true', preProd }),
      expected: { kind: 'unknown', version: '8.18.0' },
    },
    {
      name: 'preProdNode as 1',
      body: envelope({ preProdNode: 1 }),
      expected: { kind: 'unknown' },
    },
    {
      name: 'flux missing',
      body: { status: 'success', data: { daemon: {} } },
      expected: { kind: 'unknown' },
    },
    {
      name: 'flux an array',
      body: { status: 'success', data: { flux: [true] } },
      expected: { kind: 'unknown' },
    },
    {
      name: 'an unknown reason code',
      body: envelope({ preProdNode: true, preProd: { reason: 'because' } }),
      expected: { kind: 'preprod', reason: 'other' },
    },
    {
      name: 'a reason that only exists on Object.prototype',
      body: envelope({ preProdNode: false, preProd: { reason: 'constructor' } }),
      expected: { kind: 'production', reason: 'other' },
    },
    {
      name: 'preProd missing on a preprod node',
      body: envelope({ preProdNode: true }),
      expected: { kind: 'preprod', reason: 'other' },
    },
    {
      name: 'wrong types everywhere',
      body: envelope({ version: 8.17, preProdNode: false, preProd: { reason: ['selected'], branch: { name: 'x' }, probability: 'NaN', draw: null } }),
      expected: { kind: 'production', reason: 'other' },
    },
    {
      name: 'a huge version and branch',
      body: envelope({ version: 'v'.repeat(1_000_000), preProdNode: true, preProd: { ...preProd, branch: 'b'.repeat(1_000_000) } }),
      expected: { kind: 'preprod', version: 'v'.repeat(64), branch: 'b'.repeat(64), reason: 'selected', ...kept },
    },
    {
      name: 'terminal escapes and line breaks in a version',
      body: envelope({ version: '8.1\u001b[2J\n\u0000é', preProdNode: true, preProd }),
      expected: { kind: 'preprod', version: '8.1?[2J???', branch: 'preprod', reason: 'selected', ...kept },
    },
    {
      name: 'preProdNode only on the prototype chain',
      body: envelope(Object.create({ preProdNode: true }) as unknown),
      expected: { kind: 'unknown' },
    },
    {
      name: 'the error envelope',
      body: { status: 'error', data: { code: 503, name: 'ServiceUnavailable', message: 'Daemon not synced' } },
      expected: { kind: 'error-envelope', detail: 'ServiceUnavailable' },
    },
    {
      name: 'an error envelope without data',
      body: { status: 'error' },
      expected: { kind: 'error-envelope' },
    },
    {
      name: 'an error envelope with a hostile name',
      body: { status: 'error', data: { name: `\u001b]0;pwned\u0007${'x'.repeat(500)}` } },
      expected: { kind: 'error-envelope', detail: `?]0;pwned?${'x'.repeat(54)}` },
    },
    { name: 'a number', body: 42, expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' } },
    { name: 'null', body: null, expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' } },
    { name: 'an array', body: [{ status: 'success' }], expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' } },
    { name: 'success without data', body: { status: 'success' }, expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' } },
    { name: 'success with string data', body: { status: 'success', data: '8.17.0' }, expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' } },
    { name: 'another status', body: { status: 'SUCCESS', data: {} }, expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' } },
  ];

  for (const { name, body, expected } of cases) {
    it(`classifies ${name}`, () => {
      expect(classifyInfo(body)).to.deep.equal(expected);
    });
  }

  it('reads own properties even when the reply names __proto__', () => {
    const body = JSON.parse('{"status":"success","data":{"flux":{"__proto__":{"preProdNode":true},"version":"1"}}}') as unknown;
    expect(classifyInfo(body)).to.deep.equal({ kind: 'unknown', version: '1' });
  });

  describe('cleanField', () => {
    const fields: [unknown, string | undefined][] = [
      ['8.17.0', '8.17.0'],
      ['', ''],
      [17, undefined],
      [null, undefined],
      [{ toString: () => 'x' }, undefined],
      ['a\tb', 'a?b'],
      ['x'.repeat(100), 'x'.repeat(64)],
      ['\u{1F600}', '??'],
    ];
    for (const [input, expected] of fields) {
      it(`turns ${JSON.stringify(input)} into ${JSON.stringify(expected)}`, () => {
        expect(cleanField(input)).to.equal(expected);
      });
    }
  });

  describe('isNodeState', () => {
    const kinds: [Parameters<typeof isNodeState>[0], boolean][] = [
      ['preprod', true],
      ['production', true],
      ['unknown', true],
      ['timeout', false],
      ['http-500', false],
      ['aborted', false],
    ];
    for (const [kind, expected] of kinds) {
      it(`says ${kind} is ${expected ? '' : 'not '}an answer`, () => {
        expect(isNodeState(kind)).to.equal(expected);
      });
    }
  });
});
