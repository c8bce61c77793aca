/**
 * Sources of uniform numbers in [0, 1). The boot decision takes one as an
 * argument, so production draws come from the OS's cryptographic generator
 * while tests and the fleet simulation replay a seeded stream.
 */
import { randomBytes } from 'node:crypto';

import { PreprodError } from '../errors';
import { describeValue } from '../config/settings';

/** Returns a uniform number in [0, 1) on each call. */
export type RandomSource = () => number;

const TWO_POW_27 = 134217728;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/**
 * The number in [0, 1) made of the first 53 bits of `bytes` (at least 8), the
 * full precision of a double: 26 bits from the first word, 27 from the second.
 * The largest result is 1 - 2^-53, so 1 is never returned.
 */
export function unitFromBytes(bytes: Uint8Array): number {
  if (bytes.length < 8) {
    throw new RangeError(`Expected at least 8 random bytes, got ${bytes.length}.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const high = view.getUint32(0) >>> 6;
  const low = view.getUint32(4) >>> 5;
  return (high * TWO_POW_27 + low) / TWO_POW_53;
}

/** A cryptographically random number in [0, 1) with 53 random bits. */
export const cryptoRandom: RandomSource = () => unitFromBytes(randomBytes(8));

/**
 * xoshiro128** (Blackman and Vigna), the 32-bit all-purpose generator of
 * https://prng.di.unimi.it/xoshiro128starstar.c: each call returns the next
 * unsigned 32-bit output. The state must not be all zeros.
 */
export function xoshiro128StarStar(state: readonly [number, number, number, number]): () => number {
  let [a, b, c, d] = state.map((word) => word | 0);
  // An all-zero state would only ever yield zeros.
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const product = Math.imul(b, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return result >>> 0;
  };
}

/**
 * A deterministic stream for tests and simulations: xoshiro128** with its
 * state filled by splitmix32 (golden-ratio increments, murmur3 finaliser), as
 * its authors recommend, so that nearby seeds give unrelated streams. 32
 * random bits per number, plenty for a share of nodes.
 */
export function seededRandom(seed: number): RandomSource {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new PreprodError(
      'usage',
      `Expected \`seed\` to be a whole number from 0 to 4294967295, got ${describeValue(seed)}.`,
    );
  }
  let sm = seed | 0;
  const splitmix32 = (): number => {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
  const next = xoshiro128StarStar([splitmix32(), splitmix32(), splitmix32(), splitmix32()]);
  return () => next() / TWO_POW_32;
}
