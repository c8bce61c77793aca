/** The connection cap's arithmetic: never more sockets than the open-file limit allows. */
import { expect } from 'chai';
import { connectionCap, openFileLimit } from '../../src/boot/connectionCap';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('connection cap', () => {
  it('reads the soft open-file limit', () => {
    expect(openFileLimit(LIMITS)).to.equal(1024);
    expect(openFileLimit(LIMITS.replace('1024                 524288', 'unlimited            unlimited'))).to.equal(
      null,
    );
    expect(openFileLimit('garbage')).to.equal(null);
  });

  const cases: [number, number | null, number][] = [
    [1024, null, 1024],
    [1024, 20000, 1024],
    [1024, 1024, 960],
    [1024, 256, 192],
    [1024, 10, 1],
    [10, 20000, 10],
  ];
  for (const [wanted, limit, cap] of cases) {
    it(`wanted ${wanted}, open-file limit ${limit}: cap ${cap}`, () => {
      expect(connectionCap(wanted, limit)).to.equal(cap);
    });
  }
});
