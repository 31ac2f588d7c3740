import type { RedisClient } from './connection.js';

/**
 * Every field of many hashes, read with HSCAN in rounds: each round sends one page request
 * (together, pipelined, per master on a cluster) for up to `keysPerRound` hashes that still have pages, so reading 10,000 small hashes
 * costs about ten round trips, not ten thousand. Calls `onPage` with each page's flat
 * [field, value, ...] list; as with any SCAN, a field may come twice if the hash shrinks meanwhile.
 */
export async function scanHashes(
  redis: RedisClient,
  keys: readonly string[],
  onPage: (keyIndex: number, fields: string[]) => void,
  { keysPerRound = 500, pageSize = 1000 } = {},
): Promise<void> {
  let open = keys.map((_, i) => ({ index: i, cursor: '0' }));
  while (open.length > 0) {
    const round = open.slice(0, keysPerRound);
    const replies = await Promise.all(
      round.map(({ index, cursor }) => redis.hscan(keys[index]!, cursor, 'COUNT', pageSize)),
    );
    const stillOpen = open.slice(keysPerRound);
    replies.forEach(([next, fields], i) => {
      onPage(round[i]!.index, fields);
      if (next !== '0') stillOpen.push({ index: round[i]!.index, cursor: next });
    });
    open = stillOpen;
  }
}
