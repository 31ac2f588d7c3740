import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../shared/config/errors.js';
import { parseAmountToCents } from '../../shared/campaign/money.js';
import { MAX_POOLS, parseCampaignSpec, parseSpecFile, specFromFlags } from '../../shared/campaign/spec.js';

const usageMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('parseAmountToCents', () => {
  it.each([
    ['8888.88', 888_888],
    ['0.29', 29],
    ['0.01', 1],
    ['1', 100],
    ['1.5', 150],
    ['007.50', 750],
    [' 12.30 ', 1230],
    [8888.88, 888_888],
    [0.29, 29],
    [12, 1200],
    ['90071992547409.91', Number.MAX_SAFE_INTEGER],
  ])('%j is %i cents, exactly', (amount, cents) => {
    expect(parseAmountToCents(amount)).toBe(cents);
  });

  it.each([
    ['-5', 'amount "-5" is negative; give a positive amount, e.g. 5'],
    [-5, 'amount "-5" is negative'],
    ['0', 'amount "0" is zero; a pool needs at least 0.01'],
    ['0.00', 'is zero'],
    [0, 'is zero'],
    ['1.234', 'amount "1.234" has more than two decimals; give at most two, e.g. 1.23'],
    ['0.001', 'e.g. 0.01'],
    ['1e3', 'amount "1e3" uses exponent notation; write the digits out'],
    [1e21, 'amount "1e+21" uses exponent notation'],
    ['', 'amount is empty'],
    ['abc', 'amount "abc" is not a plain decimal number'],
    ['1,000.00', 'without currency sign or thousands separators'],
    ['$5', 'is not a plain decimal number'],
    ['.5', 'is not a plain decimal number'],
    ['5.', 'is not a plain decimal number'],
    ['0x10', 'is not a plain decimal number'],
    [Number.NaN, 'is not a plain decimal number'],
    ['90071992547409.92', 'amount "90071992547409.92" is too large; at most 90071992547409.91'],
    [0.1 + 0.2, 'more than 15 significant digits'],
  ])('rejects %j: %s', (amount, message) => {
    expect(usageMessage(() => parseAmountToCents(amount))).toContain(message);
  });
});

const pool = (over: Record<string, unknown> = {}) => ({ id: 'p1', amount: '10.00', packets: 10, ...over });
const spec = (over: Record<string, unknown> = {}) => ({ id: 'spring-2025', pools: [pool()], ...over });

describe('parseCampaignSpec', () => {
  it('accepts amount or amountCents, defaults split to random', () => {
    expect(parseCampaignSpec(spec({ pools: [pool(), { id: 'p2', amountCents: 500, packets: 5 }] }))).toEqual({
      id: 'spring-2025',
      split: 'random',
      pools: [
        { id: 'p1', amountCents: 1000, packets: 10 },
        { id: 'p2', amountCents: 500, packets: 5 },
      ],
    });
  });

  it('keeps an equal split and accepts a pool of exactly one cent per packet', () => {
    expect(parseCampaignSpec(spec({ split: 'equal', pools: [pool({ amount: '0.10' })] }))).toMatchObject({
      split: 'equal',
      pools: [{ amountCents: 10, packets: 10 }],
    });
  });

  it.each([
    [spec({ id: '12345' }), 'id: must be 1 to 64 letters, digits, "_" or "-", not all digits'],
    [spec({ id: 'a:b' }), 'id: must be 1 to 64'],
    [spec({ id: 'a/b' }), 'id: must be 1 to 64'],
    [spec({ id: '' }), 'id: must be 1 to 64'],
    [spec({ id: 'x'.repeat(65) }), 'id: must be 1 to 64'],
    [spec({ id: 7 }), 'id: must be 1 to 64'],
    [spec({ split: 'fair' }), 'split: must be random or equal'],
    [spec({ pools: [] }), 'pools: must list at least one pool'],
    [spec({ pools: 'p1' }), 'pools: must be a list of pools'],
    [spec({ pools: [pool(), pool({ id: '42' })] }), 'pools[1].id: must be 1 to 64'],
    [
      spec({
        pools: [pool(), pool(), pool(), pool({ packets: 0 })].map((p, i) => (i < 3 ? { ...p, id: `p${i}` } : p)),
      }),
      'pools[3].packets: must be a whole number from 1 to 1000000',
    ],
    [spec({ pools: [pool({ packets: 1.5 })] }), 'pools[0].packets: must be a whole number from 1 to 1000000'],
    [spec({ pools: [pool({ packets: 1_000_001 })] }), 'pools[0].packets: must be a whole number from 1 to 1000000'],
    [spec({ pools: [pool({ packets: '10' })] }), 'pools[0].packets: must be a whole number from 1 to 1000000'],
    [
      spec({ pools: [pool({ amount: '0.09' })] }),
      'pools[0]: pool "p1" has 9 cents for 10 packets; every packet needs at ' +
        'least 1 cent, so give at least 10 cents or at most 9 packets',
    ],
    [
      spec({ pools: [pool({ amount: '1.234' })] }),
      'pools[0]: amount "1.234" has more than two decimals; give at most two, e.g. 1.23',
    ],
    [spec({ pools: [pool({ amount: true })] }), 'pools[0].amount: must be a decimal number in currency units'],
    [
      spec({ pools: [pool({ amount: undefined })] }),
      'pools[0]: give amount in currency units (e.g. 88.88) or amountCents (e.g. 8888)',
    ],
    [spec({ pools: [pool({ amountCents: 1000 })] }), 'pools[0]: give either amount or amountCents, not both'],
    [
      spec({ pools: [pool({ amount: undefined, amountCents: 10.5 })] }),
      'pools[0].amountCents: must be a whole number of cents from 1 to 9007199254740991',
    ],
    [
      spec({ pools: [pool({ amount: undefined, amountCents: 2 ** 53 })] }),
      'pools[0].amountCents: must be a whole number of cents',
    ],
    [
      spec({ pools: [pool({ amount: undefined, amountCents: 0 })] }),
      'pools[0].amountCents: must be a whole number of cents',
    ],
    [spec({ pools: [pool(), pool({ id: 'p2' }), pool()] }), 'pools[2].id: duplicate pool id "p1" (also pools[0])'],
    [spec({ pools: [pool({ packet: 3 })] }), 'pools[0]: unknown field "packet"'],
    [spec({ name: 'x' }), 'unknown field "name"'],
    [spec({ pools: [5] }), 'pools[0]: must be an object'],
    ['id: x', 'must be an object'],
  ])('rejects %j: %s', (input, message) => {
    expect(usageMessage(() => parseCampaignSpec(input))).toContain(message);
  });

  it(`accepts ${MAX_POOLS} pools and refuses one more`, () => {
    const pools = Array.from({ length: MAX_POOLS + 1 }, (_, i) => ({ id: `p${i}`, amountCents: 1, packets: 1 }));
    expect(usageMessage(() => parseCampaignSpec(spec({ pools })))).toContain(
      `pools: must list at most ${MAX_POOLS} pools`,
    );
    expect(parseCampaignSpec(spec({ pools: pools.slice(1) })).pools).toHaveLength(MAX_POOLS);
  });

  it('names at most ten problems', () => {
    const pools = Array.from({ length: 25 }, (_, i) => ({ id: `p${i}`, amountCents: 1, packets: 0 }));
    const message = usageMessage(() => parseCampaignSpec(spec({ pools })));
    expect(message).toContain('pools[9].packets');
    expect(message).not.toContain('pools[10].packets');
    expect(message).toContain('and 15 more problems');
  });
});

describe('parseSpecFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'campaign-spec-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const expected = {
    id: 'new-year',
    split: 'equal',
    pools: [
      { id: 'vip', amountCents: 888_888, packets: 88 },
      { id: 'all', amountCents: 1000, packets: 1000 },
    ],
  };

  it.each(['spec.yaml', 'spec.yml'])('reads %s with decimal amounts and amountCents', async (name) => {
    const path = write(
      name,
      'id: new-year\nsplit: equal\npools:\n  - { id: vip, amount: 8888.88, ' +
        'packets: 88 }\n  - { id: all, amountCents: 1000, packets: 1000 }\n',
    );
    await expect(parseSpecFile(path)).resolves.toEqual(expected);
  });

  it('reads JSON', async () => {
    const path = write(
      'spec.json',
      JSON.stringify({
        id: 'new-year',
        split: 'equal',
        pools: [
          { id: 'vip', amount: '8888.88', packets: 88 },
          { id: 'all', amountCents: 1000, packets: 1000 },
        ],
      }),
    );
    await expect(parseSpecFile(path)).resolves.toEqual(expected);
  });

  it('names the file and the field path', async () => {
    const path = write('bad.yaml', 'id: x\npools:\n  - { id: a, amount: 1, packets: 0 }\n');
    await expect(parseSpecFile(path)).rejects.toThrow(
      `${path}: pools[0].packets: must be a whole number from 1 to 1000000`,
    );
  });

  it.each([
    ['spec.txt', 'id: x', 'must end in .json, .yaml or .yml'],
    ['broken.json', '{"id": ', 'is not valid JSON'],
    ['broken.yaml', 'id: [x', 'is not valid YAML'],
  ])('rejects %s', async (name, text, message) => {
    await expect(parseSpecFile(write(name, text))).rejects.toThrow(message);
    await expect(parseSpecFile(write(name, text))).rejects.toBeInstanceOf(UsageError);
  });

  it('says when the file cannot be read', async () => {
    await expect(parseSpecFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read spec file .*missing\.json/);
  });
});

describe('specFromFlags', () => {
  it('builds pools p1..pN of the given amount and packets from flag strings', () => {
    expect(specFromFlags({ id: 'flash', pools: '3', packets: '4', amount: '1.00' })).toEqual({
      id: 'flash',
      split: 'random',
      pools: [1, 2, 3].map((i) => ({ id: `p${i}`, amountCents: 100, packets: 4 })),
    });
  });

  it('takes amountCents and a split', () => {
    expect(specFromFlags({ id: 'flash', pools: 1, packets: 2, amountCents: '7', split: 'equal' })).toEqual({
      id: 'flash',
      split: 'equal',
      pools: [{ id: 'p1', amountCents: 7, packets: 2 }],
    });
  });

  it.each([
    [{ pools: '1', packets: '1', amount: '1' }, '--id: must be 1 to 64'],
    [{ id: 'f', packets: '1', amount: '1' }, '--pools: must be a whole number from 1 to 100000'],
    [{ id: 'f', pools: '100001', packets: '1', amount: '1' }, '--pools: must be a whole number from 1 to 100000'],
    [{ id: 'f', pools: '1', packets: 'ten', amount: '1' }, '--packets: must be a whole number from 1 to 1000000'],
    [{ id: 'f', pools: '1', packets: '1.5', amount: '1' }, '--packets: must be a whole number'],
    [{ id: 'f', pools: '1', packets: '1', amountCents: '1.5' }, '--amount-cents: must be a whole number of cents'],
    [
      { id: 'f', pools: '1', packets: '1' },
      'give --amount in currency units (e.g. 88.88) or --amount-cents (e.g. 8888)',
    ],
    [
      { id: 'f', pools: '1', packets: '1', amount: '1', amountCents: '100' },
      'give either --amount or --amount-cents, not both',
    ],
    [{ id: 'f', pools: '1', packets: '1', amount: '-1' }, 'amount "-1" is negative'],
    [{ id: 'f', pools: '1', packets: '100', amount: '0.50' }, 'each pool has 50 cents for 100 packets'],
    [{ id: 'f', pools: '1', packets: '1', amount: '1', split: 'fair' }, '--split: must be random or equal'],
  ])('rejects %j: %s', (flags, message) => {
    expect(usageMessage(() => specFromFlags(flags))).toContain(message);
  });
});

describe('a campaign expiry', () => {
  const base = { id: 'x', pools: [{ id: 'p1', amountCents: 10, packets: 1 }] };

  it('reads --expires-in and expiresIn as durations, and expiresAt as an instant', () => {
    expect(specFromFlags({ id: 'f', pools: '1', packets: '1', amount: '1', expiresIn: '1h30m' }).expiry).toEqual({
      inMs: 90 * 60_000,
    });
    expect(parseCampaignSpec({ ...base, expiresIn: '30s' }).expiry).toEqual({ inMs: 30_000 });
    expect(parseCampaignSpec({ ...base, expiresAt: '2999-01-01T00:00:00Z' }).expiry).toEqual({
      atMs: Date.parse('2999-01-01T00:00:00Z'),
    });
    expect(parseCampaignSpec(base).expiry).toBeUndefined();
  });

  it.each([
    [{ expiresIn: '24' }, 'expiresIn: must be a duration such as 30s, 90m, 24h or 1h30m'],
    [{ expiresIn: '500ms' }, 'from 1s to 366d'],
    [{ expiresIn: '400d' }, 'from 1s to 366d'],
    [{ expiresAt: 'tomorrow' }, 'expiresAt: must be an ISO 8601 time with a time zone'],
    [{ expiresAt: '2000-01-01T00:00:00Z' }, 'this time has passed'],
    [{ expiresAt: '2999-01-01T00:00:00Z', expiresIn: '1h' }, 'give either expiresAt or expiresIn, not both'],
  ])('rejects %j: %s', (extra, message) => {
    expect(usageMessage(() => parseCampaignSpec({ ...base, ...extra }))).toContain(message);
  });

  it('names the flag', () => {
    expect(
      usageMessage(() => specFromFlags({ id: 'f', pools: '1', packets: '1', amount: '1', expiresIn: 'soon' })),
    ).toContain('--expires-in: must be a duration');
  });
});
