import { expect } from 'chai';
import type { NodeResult } from '../../src/fleet/scan';
import {
  applyChange,
  changeBetween,
  cohortOf,
  EMPTY_STATE,
  nextState,
  nodeKey,
  observe,
  type NodeState,
} from '../../src/gate/history/observation';
import { buildScan, NodeTable, totalsOf, type ScanRecord } from '../../src/gate/history/scanRecord';
import {
  decodeHistory,
  encodeLine,
  headerLine,
  HistoryDecoder,
  HistoryFormatError,
} from '../../src/gate/history/historyCodec';

function result(fields: Partial<NodeResult>): NodeResult {
  return { host: '10.0.0.1', port: 16127, kind: 'production', ms: 1, ...fields };
}

describe('gate history: observations', () => {
  const cohorts: { name: string; fields: Partial<NodeResult>; cohort: string }[] = [
    {
      name: 'draw below probability',
      fields: { reason: 'not-selected', draw: 0.01, probability: 0.07 },
      cohort: 'selected',
    },
    {
      name: 'draw at probability',
      fields: { reason: 'not-selected', draw: 0.07, probability: 0.07 },
      cohort: 'not-selected',
    },
    { name: 'reason selected without a draw', fields: { kind: 'preprod', reason: 'selected' }, cohort: 'selected' },
    {
      name: 'reason crash-loop with a draw above',
      fields: { reason: 'crash-loop', draw: 0.5, probability: 0.07 },
      cohort: 'selected',
    },
    { name: 'opted out: preProd without a draw', fields: { reason: 'disabled' }, cohort: 'not-selected' },
    {
      name: 'kill switch: probability 0',
      fields: { reason: 'not-selected', draw: 0.01, probability: 0 },
      cohort: 'not-selected',
    },
    { name: 'no preProd fields (older FluxOS)', fields: { kind: 'unknown' }, cohort: 'unknown' },
    { name: 'a node that did not answer', fields: { kind: 'timeout' }, cohort: 'unknown' },
  ];
  for (const c of cohorts) {
    it(`cohort: ${c.name} → ${c.cohort}`, () => {
      expect(cohortOf(result(c.fields))).to.equal(c.cohort);
    });
  }

  it('names a node ip:port, IPv6 in brackets', () => {
    expect(nodeKey('1.2.3.4', 16127)).to.equal('1.2.3.4:16127');
    expect(nodeKey('::1', 16127)).to.equal('[::1]:16127');
  });

  it('keeps the failure kind of a silent node and its last answered values', () => {
    const answered = nextState(
      EMPTY_STATE,
      observe(result({ kind: 'preprod', version: '2.0', commit: 'abc', reason: 'selected' })),
    );
    const silent = nextState(answered, observe(result({ kind: 'timeout' })));
    expect(silent).to.deep.equal({ ...answered, answered: false, failure: 'timeout' });
    expect(silent.version).to.equal('2.0');
    expect(silent.cohort).to.equal('selected');
  });

  const states: NodeState[] = [
    EMPTY_STATE,
    {
      ...EMPTY_STATE,
      asked: true,
      answered: true,
      version: '1',
      mode: 'production',
      reason: 'not-selected',
      cohort: 'not-selected',
      everAnswered: true,
    },
    {
      ...EMPTY_STATE,
      asked: true,
      answered: false,
      failure: 'timeout',
      version: '1',
      mode: 'production',
      cohort: 'not-selected',
      everAnswered: true,
    },
    {
      ...EMPTY_STATE,
      asked: true,
      answered: true,
      version: '2',
      commit: 'c2',
      mode: 'preprod',
      reason: 'selected',
      cohort: 'selected',
      everAnswered: true,
    },
    {
      ...EMPTY_STATE,
      asked: false,
      answered: false,
      version: '2',
      commit: 'c2',
      mode: 'preprod',
      cohort: 'selected',
      everAnswered: true,
    },
  ];
  it('a change applied to the state before gives the state after, for every pair', () => {
    for (const before of states) {
      for (const after of states) {
        if (after.everAnswered && !before.everAnswered && !after.answered) continue; // not reachable: answering sets it
        const change = changeBetween('n', before, after);
        if (change === null) expect(after).to.deep.equal(before);
        else
          expect(applyChange(before, change)).to.deep.equal({
            ...after,
            everAnswered: before.everAnswered || after.everAnswered,
          });
      }
    }
  });
});

describe('gate history: scan records', () => {
  const at = (hour: number) => new Date(Date.UTC(2026, 0, 1, hour)).toISOString();
  const fleet = [
    result({ host: 'a', kind: 'preprod', version: '2.0', reason: 'selected', draw: 0.01, probability: 0.07 }),
    result({ host: 'b', kind: 'production', version: '1.0', reason: 'not-selected', draw: 0.5, probability: 0.07 }),
    result({ host: 'c', kind: 'refused' }),
  ];

  it('stores every node in the first scan, nothing in an identical second one', () => {
    const table = new NodeTable();
    const first = buildScan(table, fleet.map(observe), at(0), 1);
    expect(first.changes.map((c) => c.n)).to.deep.equal(['a:16127', 'b:16127', 'c:16127']);
    table.apply(first);
    const second = buildScan(table, fleet.map(observe), at(1), 2);
    expect(second.changes).to.deep.equal([]);
    expect(second.totals).to.deep.equal(first.totals);
  });

  it('stores only what changed: a node going silent, a new version, a node no longer asked', () => {
    const table = new NodeTable();
    table.apply(buildScan(table, fleet.map(observe), at(0), 1));
    const next = [result({ host: 'a', kind: 'timeout' }), result({ ...fleet[1], version: '1.1' })];
    const scan = buildScan(table, next.map(observe), at(1), 2);
    expect(scan.changes).to.deep.equal([
      { n: 'a:16127', a: 0, f: 'timeout' },
      { n: 'b:16127', v: '1.1' },
      { n: 'c:16127', q: 0 },
    ]);
    table.apply(scan);
    expect(table.get('a:16127')).to.include({ answered: false, version: '2.0', cohort: 'selected' });
    expect(table.get('c:16127').asked).to.equal(false);
  });

  it('counts totals by state, cohort, failure, reason and preprod version', () => {
    expect(totalsOf(fleet.map(observe))).to.deep.equal({
      asked: 3,
      answered: 2,
      preprod: 1,
      production: 1,
      unknown: 0,
      selected: 1,
      notSelected: 1,
      failed: { refused: 1 },
      byReason: { selected: 1, 'not-selected': 1 },
      preprodVersions: { '2.0': 1 },
    });
  });

  it('keeps at most 20 preprod versions by name in the totals', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      observe(result({ host: `h${i}`, kind: 'preprod', version: `v${i}`, reason: 'selected' })),
    );
    const versions = totalsOf(many).preprodVersions;
    expect(Object.keys(versions)).to.have.length(21);
    expect(versions.other).to.equal(10);
  });
});

describe('gate history: file format', () => {
  const scan = (seq: number, hour: number): ScanRecord => ({
    seq,
    at: new Date(Date.UTC(2026, 0, 1, hour)).toISOString(),
    totals: totalsOf([]),
    changes: [{ n: `n${seq}:1`, a: 1, v: 'é ✓', k: 's' }],
  });
  const file = (...scans: ScanRecord[]) => headerLine() + scans.map((s) => encodeLine(s)).join('');

  it('reads back what it wrote, in any chunking', () => {
    const text = Buffer.from(file(scan(1, 0), scan(2, 1), scan(3, 2)));
    const whole = decodeHistory(text);
    expect(whole.scans.map((s) => s.seq)).to.deep.equal([1, 2, 3]);
    expect(whole).to.include({ validBytes: text.length, tornTail: false });
    for (const size of [1, 7, 100]) {
      const decoder = new HistoryDecoder();
      for (let i = 0; i < text.length; i += size) decoder.feed(text.subarray(i, i + size));
      expect(decoder.end().scans).to.deep.equal(whole.scans);
    }
  });

  it('ignores a torn last line (no newline, or a bad checksum) and says where the valid part ends', () => {
    const good = file(scan(1, 0), scan(2, 1));
    const line = encodeLine(scan(3, 2));
    for (const tail of [
      line.slice(0, 10),
      line.slice(0, -1),
      `${line.slice(0, 5)}${line.slice(8)}`,
      '\u0000\u0000\u0000',
    ]) {
      const decoded = decodeHistory(Buffer.from(good + tail));
      expect(decoded.scans.map((s) => s.seq)).to.deep.equal([1, 2]);
      expect(decoded).to.include({ validBytes: Buffer.byteLength(good), tornTail: true });
    }
  });

  it('treats a damaged line followed by good ones as an error naming the line', () => {
    const lines = file(scan(1, 0), scan(2, 1), scan(3, 2)).split('\n');
    lines[2] = lines[2].replace('n2:1', 'n9:1');
    const error = (() => {
      try {
        decodeHistory(Buffer.from(lines.join('\n')));
      } catch (e) {
        return e as HistoryFormatError;
      }
      return null;
    })();
    expect(error).to.be.instanceOf(HistoryFormatError);
    expect(error?.message).to.equal('line 3: the line is damaged (its checksum does not match)');
  });

  const refused: { name: string; text: string; problem: RegExp }[] = [
    { name: 'a text file', text: 'hello\nworld\n', problem: /not a fluxos-preprod history file/ },
    { name: 'a text file without newline', text: 'hello', problem: /not a fluxos-preprod history file/ },
    {
      name: 'another format',
      text: encodeLine({ format: 'other', version: 1 }),
      problem: /not a fluxos-preprod history file/,
    },
    {
      name: 'a newer version',
      text: encodeLine({ format: 'fluxos-preprod-history', version: 9 }),
      problem: /version 9 is not supported/,
    },
    {
      name: 'a gap in scan numbers',
      text: headerLine() + encodeLine(scan(1, 0)) + encodeLine(scan(3, 1)),
      problem: /line 3: expected scan number 2, got 3/,
    },
    {
      name: 'time going back',
      text: headerLine() + encodeLine(scan(1, 5)) + encodeLine(scan(2, 1)),
      problem: /not later than the one before/,
    },
    {
      name: 'a change with a bad cohort',
      text: headerLine() + encodeLine({ ...scan(1, 0), changes: [{ n: 'x', k: 'z' }] }),
      problem: /bad `k`/,
    },
    {
      name: 'totals missing',
      text: headerLine() + encodeLine({ ...scan(1, 0), totals: null }),
      problem: /totals are not an object/,
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}`, () => {
      expect(() => decodeHistory(Buffer.from(c.text))).to.throw(HistoryFormatError, c.problem);
    });
  }

  it('reads a header cut short as an empty history that the next writer may replace', () => {
    const decoded = decodeHistory(Buffer.from(headerLine().slice(0, 12)));
    expect(decoded).to.deep.equal({ scans: [], validBytes: 0, tornTail: true });
  });
});
