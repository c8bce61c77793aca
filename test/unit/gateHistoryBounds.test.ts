import { expect } from 'chai';
import {
  decodeHistory,
  encodeLine,
  headerLine,
  HistoryDecoder,
  HistoryFormatError,
  MAX_LINE_BYTES,
  MAX_NESTING,
  nestingDepth,
} from '../../src/gate/history/historyCodec';
import { totalsOf } from '../../src/gate/history/scanRecord';

function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('Expected the action to throw, it returned.');
}

describe('gate history: bounded input', () => {
  it('nestingDepth counts objects and arrays, not brackets inside strings', () => {
    expect(nestingDepth('{"a":[{"b":1}]}')).to.equal(3);
    expect(nestingDepth('{"a":"[[[[{{{{\\"[[["}')).to.equal(1);
    expect(nestingDepth('1')).to.equal(0);
    expect(nestingDepth('['.repeat(100_000), MAX_NESTING)).to.equal(MAX_NESTING + 1);
  });

  it('refuses a line nested deeper than the history ever nests, naming the line, even as the last line', () => {
    const deep = `${'['.repeat(MAX_NESTING + 1)}${']'.repeat(MAX_NESTING + 1)}`;
    const scan = { seq: 1, at: '2026-01-01T00:00:00.000Z', totals: totalsOf([]), changes: [JSON.parse(deep)] };
    const error = caught(() => decodeHistory(Buffer.from(headerLine() + encodeLine(scan))));
    expect(error).to.be.instanceOf(HistoryFormatError);
    expect((error as HistoryFormatError).message).to.equal(`line 2: the line nests deeper than ${MAX_NESTING} levels`);
  });

  it('a history as deep as a real one reads', () => {
    const scan = {
      seq: 1,
      at: '2026-01-01T00:00:00.000Z',
      totals: totalsOf([]),
      changes: [{ n: 'a:1', q: 1, a: 1, v: '[{x}]' }],
    };
    expect(decodeHistory(Buffer.from(headerLine() + encodeLine(scan))).scans).to.have.length(1);
  });

  it('refuses a line longer than the cap before holding it whole, fed in pieces', () => {
    const decoder = new HistoryDecoder();
    decoder.feed(Buffer.from(headerLine()));
    const piece = Buffer.alloc(1024 * 1024, 0x20); // one buffer fed again and again: the test holds 1 MiB
    const error = caught(() => {
      for (let fed = 0; fed <= MAX_LINE_BYTES; fed += piece.length) decoder.feed(piece);
    });
    expect(error).to.be.instanceOf(HistoryFormatError);
    expect((error as HistoryFormatError).message).to.equal(`line 2: the line is longer than 64 MiB`);
  });

  it('shows a scan time as canonical ISO whatever form the file had', () => {
    const scan = { seq: 1, at: '2026-01-01T02:00:00+02:00', totals: totalsOf([]), changes: [] };
    expect(decodeHistory(Buffer.from(headerLine() + encodeLine(scan))).scans[0].at).to.equal(
      '2026-01-01T00:00:00.000Z',
    );
  });
});

describe('gate history: errors never echo raw text from the file', () => {
  it('a scan number or format version holding escape codes is quoted and escaped', () => {
    const scan = { seq: '\u001b[2J1', at: '2026-01-01T00:00:00.000Z', totals: totalsOf([]), changes: [] };
    const error = caught(() => decodeHistory(Buffer.from(headerLine() + encodeLine(scan)))) as Error;
    expect(error.message).to.equal("line 2: expected scan number 1, got '\\u001b[2J1'");
    const header = encodeLine({ format: 'fluxos-preprod-history', version: '\u0007x' });
    const bad = caught(() => decodeHistory(Buffer.from(header))) as Error;
    expect(bad.message).to.equal("line 1: history format version '\\u0007x' is not supported (expected 1)");
  });
});
