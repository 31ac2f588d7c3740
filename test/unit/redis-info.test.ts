import { describe, expect, it } from 'vitest';
import { summedFields } from '../../bench/redis-info.js';

const info = (fields: Record<string, number>) =>
  `# Section\r\n${Object.entries(fields)
    .map(([name, value]) => `${name}:${value}`)
    .join('\r\n')}\r\n`;

describe('summedFields', () => {
  it('adds the fields up over every node', () => {
    const nodes = [
      info({ used_cpu_sys: 1.5, used_cpu_user: 2.25, used_cpu_sys_children: 100 }),
      info({ used_cpu_sys: 0.5, used_cpu_user: 0.75 }),
      info({ used_cpu_sys: 1, used_cpu_user: 1 }),
    ];
    expect(summedFields(nodes, ['used_cpu_sys', 'used_cpu_user'])).toBe(7);
  });

  it('reads one node as before, a field only where its line starts, and a missing field as 0', () => {
    const one = info({ used_memory: 1_048_576, used_memory_peak: 9_999_999, used_memory_rss: 5 });
    expect(summedFields([one], ['used_memory'])).toBe(1_048_576);
    expect(summedFields([one, info({})], ['used_memory'])).toBe(1_048_576);
    expect(summedFields([], ['used_memory'])).toBe(0);
  });
});
