import { describe, expect, it } from 'vitest';
import { formatToken, MAX_TOKEN, NO_TOKEN, parseToken } from '../../shared/ledger/fencing-token.js';
import { formatGrant, parseGrant } from '../../shared/ledger/grant.js';
import { seededRng } from '../../shared/ledger/prng.js';

describe('fencing tokens', () => {
  it('are 20 zero-padded digits that round-trip', () => {
    expect(NO_TOKEN).toBe('00000000000000000000');
    expect(formatToken(42n)).toBe('00000000000000000042');
    expect(formatToken(MAX_TOKEN)).toBe('18446744073709551615');
    expect(parseToken(formatToken(MAX_TOKEN - 1n))).toBe(MAX_TOKEN - 1n);
  });

  it('sort as strings in numeric order, which is what the Lua scripts rely on', () => {
    const rng = seededRng(11);
    const tokens = Array.from({ length: 1000 }, () => (BigInt(rng()) << 32n) | BigInt(rng()));
    tokens.push(0n, 1n, 9n, 10n, 2n ** 53n, 2n ** 53n + 1n, MAX_TOKEN);
    const byNumber = [...tokens].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(formatToken);
    const byString = tokens.map(formatToken).sort();
    expect(byString).toEqual(byNumber);
  });

  it.each([-1n, MAX_TOKEN + 1n])('refuses %s', (token) => {
    expect(() => formatToken(token)).toThrow(RangeError);
  });

  it.each(['42', '-0000000000000000001', '0000000000000000000x', '000000000000000000042'])(
    'refuses to parse %j',
    (text) => {
      expect(() => parseToken(text)).toThrow(RangeError);
    },
  );
});

describe('grant records', () => {
  it('round-trip, and a job id may contain the separator', () => {
    const grant = { cents: 8888, token: 2n ** 63n, atMs: 1_700_000_000_000, jobId: 'grab|c1|p1|u|1' };
    expect(formatGrant(grant)).toBe('8888|09223372036854775808|1700000000000|grab|c1|p1|u|1');
    expect(parseGrant(formatGrant(grant))).toEqual(grant);
  });

  it('refuses a malformed record', () => {
    expect(() => parseGrant('12|5|1|j')).toThrow('malformed grant record "12|5|1|j"');
  });
});
