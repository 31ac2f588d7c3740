import { describe, expect, it } from 'vitest';
import { findProtectedNode, protectedNodePrefix, sequenceOf, sortBySequence } from '../../shared/lock/lock-driver.js';

describe('lock driver naming', () => {
  it('orders by the sequence suffix only, never by the GUID before it', () => {
    const late = `${protectedNodePrefix('00000000-aaaa-4aaa-8aaa-000000000000')}0000000007`;
    const early = `${protectedNodePrefix('ffffffff-aaaa-4aaa-8aaa-000000000000')}0000000003`;
    const middle = `${protectedNodePrefix('77777777-aaaa-4aaa-8aaa-000000000000')}0000000005`;
    expect([late, early, middle].sort()).not.toEqual([early, middle, late]);
    expect(sortBySequence([late, early, middle])).toEqual([early, middle, late]);
  });

  it('reads the sequence past 2^31 - 1 without overflow', () => {
    expect(sequenceOf(`${protectedNodePrefix('x')}2147483647`)).toBe(2147483647);
    expect(
      sortBySequence([`${protectedNodePrefix('a')}2147483647`, `${protectedNodePrefix('b')}0000000001`])[0],
    ).toContain('0000000001');
  });

  it('ignores children that are not lock nodes', () => {
    expect(sortBySequence(['stray', `${protectedNodePrefix('a')}0000000001`])).toHaveLength(1);
  });

  it('finds a node by its GUID', () => {
    const mine = `${protectedNodePrefix('1234')}0000000009`;
    expect(findProtectedNode(['other', `${protectedNodePrefix('12345')}0000000001`, mine], '1234')).toBe(mine);
  });
});
