import { expect } from 'chai';
import { round6 } from '../../../src/stats/round6';

describe('round6', () => {
  it('rounds away float noise to 6 places', () => {
    expect(0.1 + 0.2).to.not.equal(0.3);
    expect(round6(0.1 + 0.2)).to.equal(0.3);
    expect(round6(1.25 * 0.016)).to.equal(0.02);
  });
  it('rounds half a millionth up, and keeps negatives and whole numbers', () => {
    expect(round6(0.0000125)).to.equal(0.000013);
    expect(round6(-0.0123454)).to.equal(-0.012345);
    expect(round6(3)).to.equal(3);
  });
});
