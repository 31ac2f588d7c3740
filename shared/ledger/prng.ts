import { getRandomValues } from 'node:crypto';

/** A source of uniformly distributed unsigned 32-bit integers. */
export type Rng = () => number;

const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

/** xoshiro128** (Blackman and Vigna) over four 32-bit words of state; the words must not all be zero. */
function xoshiro128ss(a: number, b: number, c: number, d: number): Rng {
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** splitmix32: spreads one seed over the four state words, so nearby seeds give unrelated streams. */
function splitmix32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A reproducible generator for tests and simulations. */
export function seededRng(seed: number): Rng {
  const mix = splitmix32(seed);
  return xoshiro128ss(mix(), mix(), mix(), mix());
}

/** The production generator: seeded from the operating system's CSPRNG, so no two processes share a stream. */
export function cryptoSeededRng(): Rng {
  const words = getRandomValues(new Uint32Array(4));
  if (words.every((w) => w === 0)) words[0] = 1;
  return xoshiro128ss(words[0]!, words[1]!, words[2]!, words[3]!);
}

/**
 * A uniform integer in [0, maxInclusive], without modulo bias: draws outside the largest
 * multiple of the range are rejected and redrawn. Ranges above 2^32 draw 53 bits from two words.
 */
export function randomIntInclusive(rng: Rng, maxInclusive: number): number {
  if (!Number.isSafeInteger(maxInclusive) || maxInclusive < 0) {
    throw new RangeError(`maxInclusive must be a safe integer >= 0, got ${maxInclusive}`);
  }
  const range = maxInclusive + 1;
  const [draw, space] =
    range <= TWO_POW_32 ? [rng, TWO_POW_32] : [() => (rng() >>> 11) * TWO_POW_32 + rng(), TWO_POW_53];
  const limit = space - (space % range);
  for (;;) {
    const value = draw();
    if (value < limit) return value % range;
  }
}
