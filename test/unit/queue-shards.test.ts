import { describe, expect, it } from 'vitest';
import { anyShardQueuePrefixGlob, QUEUE_PREFIX, shardQueuePrefix } from '../../shared/queue/queue-names.js';
import { assignShards, shardOf, shardQueueName } from '../../shared/queue/queue-shards.js';

describe('shardOf', () => {
  it('is stable and within range', () => {
    expect(shardOf('new-year', 'red-1', 16)).toBe(shardOf('new-year', 'red-1', 16));
    for (let i = 0; i < 1000; i++) {
      const shard = shardOf('c', `p${i}`, 16);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(16);
    }
    expect(shardOf('c', 'p1', 1)).toBe(0);
  });

  it('spreads 1,000 pools over 16 shards roughly evenly', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 1; i <= 1000; i++) counts[shardOf('bench-spread', `p${i}`, 16)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(35);
    expect(Math.max(...counts)).toBeLessThan(95);
  });

  it('tells "a/bc" from "ab/c"', () => {
    const differs = Array.from({ length: 50 }, (_, i) => shardOf(`a${i}`, 'bc', 1024) !== shardOf(`a${i}b`, 'c', 1024));
    expect(differs.filter(Boolean).length).toBeGreaterThan(45);
  });
});

describe('assignShards', () => {
  const members = (n: number) => Array.from({ length: n }, (_, i) => `m${String(i).padStart(2, '0')}`);

  it.each([1, 2, 3, 5, 7, 16, 20])('%i members share 16 shards: each shard exactly once, sizes within one', (n) => {
    const fleet = members(n);
    const assigned = fleet.map((m) => assignShards(fleet, m, 16));
    expect(assigned.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    const sizes = assigned.map((a) => a.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('a member not yet listed counts itself in last', () => {
    expect(assignShards([], 'me', 4)).toEqual([0, 1, 2, 3]);
    expect(assignShards(['a'], 'me', 4)).toEqual([2, 3]);
  });

  it('names shard queues so no shard is another queue', () => {
    expect(shardQueueName('grab', 3)).toBe('grab.3');
  });
});

describe('anyShardQueuePrefixGlob', () => {
  // Redis MATCH semantics for the only special character the glob uses.
  const globMatches = (glob: string, text: string) =>
    new RegExp(
      `^${glob
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    ).test(text);

  it("matches every shard's prefix, and not the whole queue's", () => {
    for (const shard of [0, 1, 15, 1023])
      expect(globMatches(anyShardQueuePrefixGlob(), shardQueuePrefix(shard))).toBe(true);
    expect(globMatches(anyShardQueuePrefixGlob(), QUEUE_PREFIX)).toBe(false);
  });
});
