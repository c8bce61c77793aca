import { expect } from 'chai';
import { isPreprodError } from '../../src/errors';
import {
  formatTarget,
  parseHostPort,
  parseTargetArg,
  parseTargetArgs,
  parseTargets,
  uniqueTargets,
} from '../../src/fleet/targets';

describe('fleet targets', () => {
  describe('parseHostPort', () => {
    const good: [string, string, number][] = [
      ['1.2.3.4', '1.2.3.4', 16127],
      ['1.2.3.4:16137', '1.2.3.4', 16137],
      ['  1.2.3.4:1  ', '1.2.3.4', 1],
      ['1.2.3.4:65535', '1.2.3.4', 65535],
      ['Node-1.Example.COM', 'node-1.example.com', 16127],
      ['node.example.com.:80', 'node.example.com.', 80],
      ['localhost:8080', 'localhost', 8080],
      ['[::1]:16127', '::1', 16127],
      ['[::1]', '::1', 16127],
      ['[0:0:0:0:0:0:0:1]:9', '::1', 9],
      ['[2001:DB8::1]:16137', '2001:db8::1', 16137],
      ['2001:db8::1', '2001:db8::1', 16127],
    ];
    for (const [input, host, port] of good) {
      it(`accepts ${JSON.stringify(input)} as ${host} port ${port}`, () => {
        expect(parseHostPort(input)).to.deep.equal({ ok: true, target: { host, port } });
      });
    }

    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['1.2.3.4 16127', /whitespace/],
      ['http://1.2.3.4:16127', /scheme/],
      ['1.2.3.4/flux/info', /"\/"/],
      ['user@1.2.3.4', /user information/],
      ['1.2.3.4:0', /port/],
      ['1.2.3.4:65536', /port/],
      ['1.2.3.4:-1', /port/],
      ['1.2.3.4:', /port/],
      ['1.2.3.4:1e3', /port/],
      ['1.2.3.4:+80', /port/],
      ['1.2.3.256', /neither/],
      ['01.2.3.4', /neither/],
      ['-bad.example.com', /neither/],
      ['bad_host', /neither/],
      ['a..b', /neither/],
      [`${'a'.repeat(64)}.com`, /neither/],
      ['[::1', /not closed/],
      ['[::1]x', /after "\]"/],
      ['[1.2.3.4]:80', /not an IPv6/],
      ['[fe80::1%eth0]:80', /not an IPv6/],
      ['::1:16127:x', /\[addr\]:port/],
      ['\u001b[2J', /neither|not closed|whitespace/],
    ];
    for (const [input, why] of bad) {
      it(`rejects ${JSON.stringify(input)}`, () => {
        const parsed = parseHostPort(input);
        expect(parsed.ok).to.equal(false);
        if (parsed.ok) return;
        expect(parsed.message).to.match(/^Expected `host\[:port\]` to be a hostname or IP address/);
        expect(parsed.message).to.match(why);
      });
    }

    it('keeps a rejected value short and escaped in the message', () => {
      const parsed = parseHostPort(`${'x'.repeat(10_000)}\n`);
      expect(parsed.ok).to.equal(false);
      if (parsed.ok) return;
      expect(parsed.message.length).to.be.below(300);
      expect(parsed.message).to.not.include('\n');
    });

    it('uses the given default port', () => {
      expect(parseHostPort('1.2.3.4', 8080)).to.deep.equal({ ok: true, target: { host: '1.2.3.4', port: 8080 } });
    });
  });

  describe('parseTargetArg', () => {
    it('returns the target of a good argument', () => {
      expect(parseTargetArg('[::1]:5')).to.deep.equal({ host: '::1', port: 5 });
    });
    it('throws a usage error for a bad argument', () => {
      let caught: unknown;
      try {
        parseTargetArg('http://x');
      } catch (error) {
        caught = error;
      }
      expect(isPreprodError(caught, 'usage')).to.equal(true);
      expect((caught as Error).message).to.match(/^Expected `host\[:port\]`/);
    });
    it('parseTargetArgs removes duplicates', () => {
      expect(parseTargetArgs(['1.2.3.4', '1.2.3.4:16127', '[::1]', '[0::1]:16127', '1.2.3.4:1'])).to.deep.equal([
        { host: '1.2.3.4', port: 16127 },
        { host: '::1', port: 16127 },
        { host: '1.2.3.4', port: 1 },
      ]);
    });
  });

  describe('formatTarget and uniqueTargets', () => {
    it('brackets IPv6 hosts', () => {
      expect(formatTarget({ host: '::1', port: 1 })).to.equal('[::1]:1');
      expect(formatTarget({ host: 'a.b', port: 2 })).to.equal('a.b:2');
    });
    it('keeps the first of each host:port in order', () => {
      const a = { host: 'a', port: 1 };
      expect(uniqueTargets([a, { host: 'b', port: 1 }, { host: 'a', port: 1 }, { host: 'a', port: 2 }])).to.deep.equal([
        a,
        { host: 'b', port: 1 },
        { host: 'a', port: 2 },
      ]);
    });
  });

  describe('parseTargets, line format', () => {
    it('reads hosts, skips blanks and comments, reports garbage with its line, removes duplicates', () => {
      const text = [
        '# fleet of three', // 1
        '1.2.3.4', // 2
        '', // 3
        '   ', // 4
        '5.6.7.8:16137   # UPnP node', // 5
        'not a host', // 6
        '[::1]:16127', // 7
        '1.2.3.4:16127', // 8 duplicate of line 2
        'http://9.9.9.9', // 9
      ].join('\n');
      const parsed = parseTargets(text);
      expect(parsed.targets).to.deep.equal([
        { host: '1.2.3.4', port: 16127 },
        { host: '5.6.7.8', port: 16137 },
        { host: '::1', port: 16127 },
      ]);
      expect(parsed.problems.map((p) => p.line)).to.deep.equal([6, 9]);
      expect(parsed.problems[0].index).to.equal(undefined);
    });

    it('handles CRLF line ends and a byte order mark', () => {
      const parsed = parseTargets('\uFEFF1.2.3.4\r\nbad host\r\n5.6.7.8\r\n');
      expect(parsed.targets.map((t) => t.host)).to.deep.equal(['1.2.3.4', '5.6.7.8']);
      expect(parsed.problems.map((p) => p.line)).to.deep.equal([2]);
    });

    it('treats a file starting with an IPv6 target as lines, not JSON', () => {
      const parsed = parseTargets('[::1]:1\n[::2]:2\n');
      expect(parsed.targets).to.deep.equal([
        { host: '::1', port: 1 },
        { host: '::2', port: 2 },
      ]);
      expect(parsed.problems).to.deep.equal([]);
    });

    it('returns nothing for an empty file', () => {
      expect(parseTargets('')).to.deep.equal({ targets: [], problems: [], format: 'lines' });
    });

    it('applies the default port', () => {
      expect(parseTargets('1.2.3.4', 80).targets).to.deep.equal([{ host: '1.2.3.4', port: 80 }]);
    });
  });

  describe('parseTargets, JSON node list', () => {
    it('reads `ip` fields with and without port, ignores other fields, reports bad entries with index and line', () => {
      const text = JSON.stringify(
        [
          { collateral: 'abc', ip: '1.2.3.4', tier: 'CUMULUS' },
          { ip: '5.6.7.8:16137', payment_address: 't1...' },
          { ip: '' },
          { noip: true },
          42,
          { ip: 7 },
          { ip: '[2001:db8::1]:16147' },
          { ip: '1.2.3.4:16127' },
          null,
        ],
        null,
        2,
      );
      const parsed = parseTargets(text);
      expect(parsed.targets).to.deep.equal([
        { host: '1.2.3.4', port: 16127 },
        { host: '5.6.7.8', port: 16137 },
        { host: '2001:db8::1', port: 16147 },
      ]);
      expect(parsed.problems.map((p) => p.index)).to.deep.equal([2, 3, 4, 5, 8]);
      // Pretty-printed: entry i of a one-object-per-block list starts on a known line.
      const lines = text.split('\n');
      for (const problem of parsed.problems) {
        expect(lines[problem.line - 1].trim()).to.match(/^(\{|42|null)/);
      }
      expect(parsed.problems.find((p) => p.index === 4)?.message).to.match(
        /^Expected entry 4 to be an object with an `ip` string, got number\.$/,
      );
      expect(parsed.problems.find((p) => p.index === 5)?.message).to.match(/got an `ip` of type number/);
      expect(parsed.problems.find((p) => p.index === 2)?.message).to.match(/^Entry 2: Expected `host\[:port\]`/);
    });

    it('says which format it read, so that only node lists are screened', () => {
      expect(parseTargets('[{"ip":"1.2.3.4"}]').format).to.equal('node-list');
      expect(parseTargets('{"status":"success","data":[{"ip":"1.2.3.4"}]}').format).to.equal('node-list');
      expect(parseTargets('1.2.3.4\n[::1]:1').format).to.equal('lines');
      expect(parseTargets('[::1]').format).to.equal('lines');
    });

    it('gives exact lines for entries of a compact list', () => {
      const text = '[\n{"ip":"1.2.3.4"},\n{"ip":"bad host"}, {"ip":"x/y"},\n\n  "str"\n]';
      const parsed = parseTargets(text);
      expect(parsed.problems.map((p) => [p.index, p.line])).to.deep.equal([
        [1, 3],
        [2, 3],
        [3, 5],
      ]);
    });

    it('finds entries behind strings holding brackets, commas and escaped quotes', () => {
      const text = '[{"note":"a],\\"[{,","ip":"1.1.1.1"},\n{"ip":"no way"}]';
      const parsed = parseTargets(text);
      expect(parsed.targets).to.deep.equal([{ host: '1.1.1.1', port: 16127 }]);
      expect(parsed.problems.map((p) => [p.index, p.line])).to.deep.equal([[1, 2]]);
    });

    it('accepts the FluxOS API envelope around the list', () => {
      const text = '{"status":"success",\n"data":[\n{"ip":"1.2.3.4:16137"},\n{"ip":"??"}\n]}';
      const parsed = parseTargets(text);
      expect(parsed.targets).to.deep.equal([{ host: '1.2.3.4', port: 16137 }]);
      expect(parsed.problems.map((p) => [p.index, p.line])).to.deep.equal([[1, 4]]);
    });

    it('reads JSON that is not a node list as lines, reporting it', () => {
      const parsed = parseTargets('{"status":"error","data":{"code":1}}');
      expect(parsed.targets).to.deep.equal([]);
      expect(parsed.problems.map((p) => p.line)).to.deep.equal([1]);
    });

    it('returns nothing for an empty list', () => {
      expect(parseTargets(' [ ] ')).to.deep.equal({ targets: [], problems: [], format: 'node-list' });
    });
  });
});
