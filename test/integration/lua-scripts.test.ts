import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLuaCommands, parseKeysHeader } from '../../shared/redis/lua-scripts.js';
import { testRedisUrl } from '../support/env.js';

function luaDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lua-scripts-'));
  mkdirSync(join(dir, 'includes'));
  for (const [name, lua] of Object.entries(files)) writeFileSync(join(dir, name), lua);
  return dir;
}

describe('parseKeysHeader', () => {
  it.each([
    ['-- KEYS: 2\nreturn 1', 2],
    ['-- What it does.\n--   KEYS:  0  \n-- KEYS[1] is documented like this\nreturn 1', 0],
    ['\n-- KEYS: variable\nreturn #KEYS', undefined],
  ])('reads %j', (lua, count) => {
    expect(parseKeysHeader(lua, 'x.lua')).toBe(count);
  });

  it.each([
    ['return 1', 'must declare the key count'],
    ['return 1\n-- KEYS: 1', 'must declare the key count'],
    ['-- KEYS: two', '"-- KEYS: two" must be a whole number or "variable"'],
  ])('refuses %j', (lua, message) => {
    expect(() => parseKeysHeader(lua, 'x.lua')).toThrow(message);
  });
});

describe('loadLuaCommands', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('defines each file as a camelCase command with its declared key count', async () => {
    const dir = luaDir({
      'echo-keys.lua': '-- KEYS: 2\nreturn {KEYS[1], KEYS[2], ARGV[1]}',
      'count-keys.lua': '-- KEYS: variable\nreturn {#KEYS, #ARGV}',
      'notes.txt': 'not a script',
    });
    const lua = loadLuaCommands(redis, dir, ['echoKeys', 'countKeys']);
    await expect(lua.echoKeys(['{t}a', '{t}b'], ['x'])).resolves.toEqual(['{t}a', '{t}b', 'x']);
    await expect(lua.countKeys(['{t}a', '{t}b', '{t}c'], [1, 2])).resolves.toEqual([3, 2]);
    await expect(lua.countKeys([])).resolves.toEqual([0, 0]);
  });

  it('refuses a call with the wrong number of keys before sending it', () => {
    const lua = loadLuaCommands(redis, luaDir({ 'one-key.lua': '-- KEYS: 1\nreturn 1' }), ['oneKey']);
    expect(() => lua.oneKey(['a', 'b'])).toThrow('Lua script oneKey takes 1 keys, got 2');
  });

  it('fails at load time on a missing script, a missing header, or a name Redis already uses', () => {
    expect(() => loadLuaCommands(redis, luaDir({}), ['absent'])).toThrow('no Lua script absent (absent.lua)');
    expect(() => loadLuaCommands(redis, luaDir({ 'bare.lua': 'return 1' }), [])).toThrow(
      'bare.lua: the leading comment block must declare the key count',
    );
    expect(() => loadLuaCommands(redis, luaDir({ 'get.lua': '-- KEYS: 1\nreturn 1' }), [])).toThrow(
      'would shadow the Redis command',
    );
  });

  it('replaces an include line with the shared file, and fails at load time on a missing include', async () => {
    const dir = luaDir({
      'twice-plus-one.lua': '-- KEYS: 0\n--- @include "double"\nreturn double(tonumber(ARGV[1])) + 1',
      'includes/double.lua': 'local function double(n)\n  return n * 2\nend\n',
    });
    const { twicePlusOne } = loadLuaCommands(redis, dir, ['twicePlusOne']);
    await expect(twicePlusOne([], [20])).resolves.toBe(41);
    expect(() =>
      loadLuaCommands(redis, luaDir({ 'lost.lua': '-- KEYS: 0\n--- @include "nowhere"\nreturn 1' }), []),
    ).toThrow('lost.lua: cannot include "nowhere"');
  });
});
