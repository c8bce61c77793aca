/** A lock holder named by PID, start time and boot id: parsing and the takeover rule. */
import { expect } from 'chai';
import {
  formatIdentity,
  holderIsRunning,
  parseIdentity,
  parseStartTime,
  type ProcessIdentity,
} from '../../src/os/processIdentity';

// Canned /proc/<pid>/stat lines (fields 3..52); the command name holds ") (" and spaces.
const STAT_FIELDS = 'S 1 1 1 0 -1 4194560 1290 0 0 0 10 5 0 0 20 0 11 0 320497 1000000 5000 18446744073709551615';
const STAT_LINES: [string, string | null][] = [
  [`1234 (node) ${STAT_FIELDS}`, '320497'],
  [`1234 (we) (ird name) ${STAT_FIELDS}`, '320497'],
  [`1234 (a b c) ${STAT_FIELDS}`, '320497'],
  ['1234 (node) S 1 1', null],
  ['', null],
  ['garbage', null],
];

describe('process identity', () => {
  for (const [line, expected] of STAT_LINES) {
    it(`start time of ${JSON.stringify(line.slice(0, 24))}… is ${expected}`, () => {
      expect(parseStartTime(line)).to.equal(expected);
    });
  }

  const identities: [string, ProcessIdentity | null][] = [
    [
      '42 320497 54767636-d114-45f6-a8ed-f2c8755eadbf\n',
      { pid: 42, startTime: '320497', bootId: '54767636-d114-45f6-a8ed-f2c8755eadbf' },
    ],
    ['42 - -\n', { pid: 42, startTime: null, bootId: null }],
    ['42', { pid: 42, startTime: null, bootId: null }], // a lock written before identities
    ['', null],
    ['0', null],
    ['-5', null],
    ['42 1 b extra', null],
    ['99999999999', null],
    ['abc', null],
  ];
  for (const [text, expected] of identities) {
    it(`parses ${JSON.stringify(text)}`, () => {
      expect(parseIdentity(text)).to.deep.equal(expected);
    });
  }

  it('formats what it parses', () => {
    const identity = { pid: 7, startTime: '99', bootId: 'abc-1' };
    expect(parseIdentity(formatIdentity(identity))).to.deep.equal(identity);
  });

  const BOOT = 'boot-a';
  const running: [string, ProcessIdentity, boolean, string | null, boolean][] = [
    // name, holder, pid alive, start time now, expected running
    ['the same process', { pid: 1, startTime: '100', bootId: BOOT }, true, '100', true],
    [
      'a PID reused by a later process (container PID 1)',
      { pid: 1, startTime: '100', bootId: BOOT },
      true,
      '250',
      false,
    ],
    ['a lock from before a reboot', { pid: 1, startTime: '100', bootId: 'boot-old' }, true, '100', false],
    ['a PID with no process', { pid: 1, startTime: '100', bootId: BOOT }, false, null, false],
    ['an old lock (PID only), PID alive', { pid: 1, startTime: null, bootId: null }, true, '250', true],
    ['an old lock (PID only), PID gone', { pid: 1, startTime: null, bootId: null }, false, null, false],
    ['no /proc: start time unknown now', { pid: 1, startTime: '100', bootId: BOOT }, true, null, true],
  ];
  for (const [name, holder, alive, startNow, expected] of running) {
    it(`${name}: ${expected ? 'held' : 'stale'}`, () => {
      expect(
        holderIsRunning(
          holder,
          () => alive,
          () => startNow,
          BOOT,
        ),
      ).to.equal(expected);
    });
  }
});
