import { expect } from 'chai';
import {
  classifyBody,
  classifyError,
  classifyInfo,
  cleanField,
  isAnswered,
  isNodeState,
  MAX_JSON_DEPTH,
  nestingWithin,
  PARSE_GRACE_MS,
  withinDeadline,
  withPreprodRoute,
  type Classified,
} from '../../src/fleet/classify';
import { NO_SIGNALS } from '../../src/health/signals';

/** The result without its health signals (src/health/signals.ts has their own tests). */
function withoutHealth(result: Classified): Omit<Classified, 'health'> {
  const { health: _health, ...rest } = result;
  return rest;
}

function envelope(flux: unknown): unknown {
  return { status: 'success', data: { daemon: {}, flux } };
}

const preProd = {
  mode: 'preprod',
  reason: 'selected',
  branch: 'preprod',
  commit: 'abc',
  probability: 0.07,
  draw: 0.03,
  optedOut: false,
};
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
      body: envelope({
        version: '8.17.0',
        preProdNode: false,
        preProd: { ...preProd, mode: 'production', reason: 'crash-loop', branch: 'master' },
      }),
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
      body: envelope({
        version: 8.17,
        preProdNode: false,
        preProd: { reason: ['selected'], branch: { name: 'x' }, probability: 'NaN', draw: null },
      }),
      expected: { kind: 'production', reason: 'other' },
    },
    {
      name: 'a huge version and branch',
      body: envelope({
        version: 'v'.repeat(1_000_000),
        preProdNode: true,
        preProd: { ...preProd, branch: 'b'.repeat(1_000_000) },
      }),
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
      expected: { kind: 'degraded', detail: 'ServiceUnavailable' },
    },
    {
      name: 'an error envelope without data',
      body: { status: 'error' },
      expected: { kind: 'degraded' },
    },
    {
      name: 'an error envelope with a hostile name',
      body: { status: 'error', data: { name: `\u001b]0;pwned\u0007${'x'.repeat(500)}` } },
      expected: { kind: 'degraded', detail: `?]0;pwned?${'x'.repeat(54)}` },
    },
    { name: 'a number', body: 42, expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' } },
    { name: 'null', body: null, expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' } },
    {
      name: 'an array',
      body: [{ status: 'success' }],
      expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' },
    },
    {
      name: 'success without data',
      body: { status: 'success' },
      expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' },
    },
    {
      name: 'success with string data',
      body: { status: 'success', data: '8.17.0' },
      expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' },
    },
    {
      name: 'another status',
      body: { status: 'SUCCESS', data: {} },
      expected: { kind: 'bad-json', detail: 'not a FluxOS success or error envelope' },
    },
  ];

  for (const { name, body, expected } of cases) {
    it(`classifies ${name}`, () => {
      expect(withoutHealth(classifyInfo(body))).to.deep.equal(expected);
    });
  }

  it('an error envelope is degraded (answered), with its class and no other signal', () => {
    const body = { status: 'error', data: { code: -8, name: 'RPCError', message: 'fluxd: Loading block index...' } };
    const result = classifyInfo(body);
    expect(result.kind).to.equal('degraded');
    expect(isAnswered(result.kind)).to.equal(true);
    expect(result.health).to.deep.equal({ ...NO_SIGNALS, degraded: 'daemon' });
  });

  it('a success envelope carries its health signals', () => {
    const body = {
      status: 'success',
      data: { flux: { preProdNode: false, numberOfConnectionsIn: 12 }, apps: { runningapps: [{}, {}] } },
    };
    const result = classifyInfo(body);
    expect(result.health).to.include({ runningApps: 2, peersIn: 12, peersOut: null, degraded: null });
  });

  describe('withPreprodRoute', () => {
    const degraded: Classified = {
      kind: 'degraded',
      detail: 'RPCError',
      health: { ...NO_SIGNALS, degraded: 'daemon' },
    };
    it('takes the state, version, branch, reason, commit and boot time from /flux/preprod', () => {
      const cheap = classifyInfo({
        status: 'success',
        data: {
          flux: { version: '8.17.0', preProdNode: true, preProd: { ...preProd, bootedAt: '2026-12-06T20:00:00Z' } },
        },
      });
      const merged = withPreprodRoute(degraded, cheap);
      expect(merged).to.deep.include({ kind: 'degraded', state: 'preprod', version: '8.17.0', detail: 'RPCError' });
      expect(merged).to.deep.include({ branch: 'preprod', reason: 'selected', ...kept });
      expect(merged.health).to.deep.equal({ ...NO_SIGNALS, degraded: 'daemon', bootedAt: 1796587200 });
    });
    it('leaves the degraded result as it was when /flux/preprod gave no state', () => {
      expect(withPreprodRoute(degraded, { kind: 'http-404' })).to.deep.equal(degraded);
      expect(withPreprodRoute(degraded, { kind: 'degraded' })).to.deep.equal(degraded);
    });
  });

  it('reads own properties even when the reply names __proto__', () => {
    const body = JSON.parse(
      '{"status":"success","data":{"flux":{"__proto__":{"preProdNode":true},"version":"1"}}}',
    ) as unknown;
    expect(withoutHealth(classifyInfo(body))).to.deep.equal({ kind: 'unknown', version: '1' });
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
      ['degraded', false],
    ];
    for (const [kind, expected] of kinds) {
      it(`says ${kind} is ${expected ? '' : 'not '}an answer`, () => {
        expect(isNodeState(kind)).to.equal(expected);
      });
    }
  });

  describe('nestingWithin (checked before JSON.parse)', () => {
    const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const cases: [string, string, number, boolean][] = [
      ['an empty body', '', 2, true],
      ['a scalar', '42', 0, true],
      ['depth exactly at the limit', nested(3), 3, true],
      ['one level over the limit', nested(4), 3, false],
      ['objects count like arrays', '{"a":{"b":{"c":{}}}}', 3, false],
      ['siblings do not add up', '[[1],[2],[3],{"a":4}]', 2, true],
      ['brackets inside strings do not count', '["[[[[{{{{"]', 1, true],
      ['an escaped quote does not end the string', '["\\"[[[[["]', 1, true],
      ['an escaped backslash before the closing quote', '["\\\\",[[1]]]', 2, false],
      ['an unclosed deep prefix', '['.repeat(100), 64, false],
      ['closing brackets first (invalid JSON, left to the parser)', ']]]][[', 2, true],
    ];
    for (const [name, text, max, expected] of cases) {
      it(`${name}: ${expected ? 'within' : 'too deep'}`, () => {
        expect(nestingWithin(Buffer.from(text), max)).to.equal(expected);
      });
    }

    it('allows the nesting of a real /flux/info reply by default', () => {
      const app = {
        name: 'x',
        compose: [{ environmentParameters: ['A=1'], ports: [1, 2], secrets: { k: { v: [1] } } }],
      };
      const body = {
        status: 'success',
        data: { flux: { version: '8.17.0', preProdNode: false }, apps: { runningapps: [app] } },
      };
      expect(nestingWithin(Buffer.from(JSON.stringify(body)))).to.equal(true);
      expect(MAX_JSON_DEPTH).to.be.at.least(16);
    });
  });

  describe('classifyBody', () => {
    const ok = JSON.stringify({
      status: 'success',
      data: { flux: { version: '8.17.0', preProdNode: false, preProd: { reason: 'not-selected' } } },
    });
    const cases: [string, string, Record<string, unknown>][] = [
      ['a production reply', ok, { kind: 'production', version: '8.17.0', reason: 'not-selected' }],
      [
        'a reply nested too deep',
        `${'['.repeat(65)}${']'.repeat(65)}`,
        { kind: 'bad-json', detail: 'nested deeper than 64 levels' },
      ],
      ['HTML', '<html></html>', { kind: 'bad-json' }],
      ['an empty body', '', { kind: 'bad-json' }],
      ['a byte order mark and garbage', '\uFEFF\u0000', { kind: 'bad-json' }],
    ];
    for (const [name, text, expected] of cases) {
      it(`classifies ${name}`, () => {
        expect(withoutHealth(classifyBody(Buffer.from(text)))).to.deep.equal(expected);
      });
    }

    it('reads a body that is a slice of a larger buffer', () => {
      const big = Buffer.from(`xxxx${ok}yyyy`);
      expect(classifyBody(big.subarray(4, 4 + ok.length))).to.include({ kind: 'production' });
    });
  });

  describe('withinDeadline (parsing counts against the node’s deadline)', () => {
    const cases: [string, number, number, number, boolean][] = [
      ['complete early, parsed quickly', 100, 1, 5000, true],
      ['complete at the deadline, parsed at once', 5000, 0, 5000, true],
      ['complete early, parse runs past the deadline', 4990, 200, 5000, false],
      ['complete just before, parse within the grace', 4999, PARSE_GRACE_MS, 5000, true],
      ['seen after the deadline (the event loop was busy), parsed quickly', 7000, 1, 5000, true],
      ['seen after the deadline, parse slowed by a collection', 7000, 50, 5000, true],
    ];
    for (const [name, arrived, parse, timeout, expected] of cases) {
      it(`${name}: ${expected ? 'answered' : 'timeout'}`, () => {
        expect(withinDeadline(arrived, parse, timeout)).to.equal(expected);
      });
    }
  });

  describe('classifyError', () => {
    const cases: [string, unknown, Record<string, unknown>][] = [
      [
        'a refused connection',
        Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
        { kind: 'refused', detail: 'ECONNREFUSED' },
      ],
      ['a reset', Object.assign(new Error('x'), { code: 'ECONNRESET' }), { kind: 'error', detail: 'ECONNRESET' }],
      ['an error without a code', new Error('socket hang up'), { kind: 'error', detail: 'socket hang up' }],
      ['a thrown string with escapes', '\u001b[2Jboom', { kind: 'error', detail: '?[2Jboom' }],
    ];
    for (const [name, error, expected] of cases) {
      it(`classifies ${name}`, () => {
        expect(classifyError(error)).to.deep.equal(expected);
      });
    }
  });
});
