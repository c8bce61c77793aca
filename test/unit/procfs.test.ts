import { expect } from 'chai';
import { parseProcStat, type ProcStat } from '../../src/os/procfs';

describe('procfs.parseProcStat', () => {
  const full = (comm: string): string =>
    `4242 (${comm}) S 4100 4242 4100 0 -1 4194304 10 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10`;
  const stat = (comm: string, state = 'S'): ProcStat => {
    return { pid: 4242, comm, state, ppid: 4100, pgrp: 4242, startTime: 987654 };
  };
  const cases: Array<[string, string, ProcStat | null]> = [
    ['a plain name', full('git'), stat('git')],
    ['a name with spaces and parentheses', full('my (odd) ) name'), stat('my (odd) ) name')],
    ['a zombie', full('npm').replace(') S ', ') Z '), stat('npm', 'Z')],
    [
      'a short line has no start time',
      '1 (systemd) S 0 1 1 0',
      { pid: 1, comm: 'systemd', state: 'S', ppid: 0, pgrp: 1, startTime: null },
    ],
    ['a trailing newline', `${full('x')}\n`, stat('x')],
    ['garbage', 'not a stat line', null],
    ['empty', '', null],
    ['no pid', '(git) S 1 2 3', null],
    ['a non-numeric ppid', '5 (git) S x 2 3', null],
    ['a missing group', '5 (git) S 1', null],
  ];
  for (const [name, text, expected] of cases) {
    it(`${name} → ${expected === null ? 'null' : expected.pid}`, () => {
      expect(parseProcStat(text)).to.deep.equal(expected);
    });
  }
});
