import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';
import { checkAcked, type ReplicaWait } from './replica-wait.js';

/**
 * Loads a directory of Lua scripts as ioredis custom commands (EVALSHA, falling back to EVAL).
 *
 * Conventions for each file:
 * - The command is named after the file in camelCase: `commit-grants.lua` becomes `commitGrants`.
 * - The leading comment block declares how many KEYS the script takes, on a line of its own:
 *     -- KEYS: 2          a fixed count
 *     -- KEYS: variable   the count differs per call (sent along with each call)
 *   Document the keys themselves as `KEYS[1] ...`, which this header line never matches.
 *
 * - A line `--- @include "name"` is replaced by `includes/name.lua` of the same directory (as in
 *   BullMQ), so a check several scripts share is written once. Includes are not commands.
 *
 * Every key a script touches must be passed in KEYS, never built inside the script from ARGV,
 * so Redis Cluster can route it and check that the keys share a slot.
 */

export type LuaArg = string | number;
/** Runs one script. Keys and arguments are separate, so the key count can be checked before sending. */
export type LuaCommand = (keys: readonly string[], args?: readonly LuaArg[]) => Promise<unknown>;

interface LuaScript {
  name: string;
  lua: string;
  /** undefined when the count varies per call. */
  numberOfKeys: number | undefined;
}

const KEYS_HEADER = /^--\s*KEYS:\s*(.*?)\s*$/;
const INCLUDE = /^--- @include "([a-z0-9-]+)"\s*$/gm;

/** Scripts whose writes must reach replicas before their reply counts, and how many replicas. */
export interface ConfirmedScripts<Name extends string> {
  names: readonly Name[];
  wait: ReplicaWait;
}

/**
 * Defines every `.lua` file of `dir` on `redis` and returns the named ones as typed functions.
 * Throws if a named script is missing or a header is malformed, so a bad install fails at startup.
 * A confirmed script is sent with WAIT right behind it in one pipeline, so the WAIT goes over the
 * same connection (on a cluster: to the master of the script's keys) and covers its writes; its
 * reply comes back only once enough replicas have them, else CommitUnconfirmedError.
 */
export function loadLuaCommands<const Name extends string>(
  redis: RedisClient,
  dir: URL | string,
  names: readonly Name[],
  confirmed?: ConfirmedScripts<Name>,
): Record<Name, LuaCommand> {
  const scripts = readLuaDir(typeof dir === 'string' ? dir : fileURLToPath(dir));
  const builtins = new Set(redis.getBuiltinCommands());
  for (const script of scripts.values()) {
    if (builtins.has(script.name.toLowerCase()))
      throw new Error(`Lua script ${script.name} would shadow the Redis command of that name`);
    redis.defineCommand(script.name, {
      lua: script.lua,
      ...(script.numberOfKeys === undefined ? {} : { numberOfKeys: script.numberOfKeys }),
    });
  }
  const commands = {} as Record<Name, LuaCommand>;
  for (const name of names) {
    const script = scripts.get(name);
    if (!script) throw new Error(`no Lua script ${name} (${kebabCase(name)}.lua) in ${String(dir)}`);
    const wait = confirmed?.names.includes(name) && confirmed.wait.replicas > 0 ? confirmed.wait : undefined;
    commands[name] = wait ? bindConfirmedCommand(redis, script, wait) : bindCommand(redis, script);
  }
  return commands;
}

const REDIRECTED = /^(MOVED|ASK) /;

type Callable = Record<string, (...args: unknown[]) => unknown>;

function bindConfirmedCommand(redis: RedisClient, script: LuaScript, wait: ReplicaWait): LuaCommand {
  return async (keys, args = []) => {
    const pipeline = redis.pipeline();
    callArgs(script, keys, args, (...call) => (pipeline as unknown as Callable)[script.name]!(...call));
    pipeline.wait(wait.replicas, wait.timeoutMs);
    const [[scriptErr, reply], [waitErr, acked]] = (await pipeline.exec()) as [
      [Error | null, unknown],
      [Error | null, unknown],
    ];
    if (scriptErr) {
      // ioredis follows a redirection of a lone command, never of a pipeline that writes: after
      // a failover, re-read the slot map, so the grab's next try reaches the new master.
      if (redis instanceof Cluster && REDIRECTED.test(scriptErr.message)) redis.refreshSlotsCache();
      throw scriptErr;
    }
    if (waitErr) throw waitErr;
    checkAcked(acked, wait);
    return reply;
  };
}

function bindCommand(redis: RedisClient, script: LuaScript): LuaCommand {
  const defined = (redis as unknown as Callable)[script.name]!.bind(redis) as (...args: unknown[]) => Promise<unknown>;
  return (keys, args = []) => callArgs(script, keys, args, defined);
}

/** Calls a defined script with its keys and arguments, the key count first when it varies. */
function callArgs<T>(
  { name, numberOfKeys }: LuaScript,
  keys: readonly string[],
  args: readonly LuaArg[],
  call: (...args: unknown[]) => T,
): T {
  // Arrays go in whole (ioredis flattens array arguments): spreading a campaign's 400,000 keys and
  // arguments into a call would overflow the stack.
  if (numberOfKeys === undefined) return call(keys.length, keys, args);
  if (keys.length !== numberOfKeys)
    throw new Error(`Lua script ${name} takes ${numberOfKeys} keys, got ${keys.length}`);
  return call(keys, args);
}

function readLuaDir(dir: string): Map<string, LuaScript> {
  const scripts = new Map<string, LuaScript>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua'))) {
    const path = join(dir, file);
    const lua = withIncludes(readFileSync(path, 'utf8'), dir, path);
    const name = camelCase(basename(file, '.lua'));
    scripts.set(name, { name, lua, numberOfKeys: parseKeysHeader(lua, path) });
  }
  return scripts;
}

function withIncludes(lua: string, dir: string, path: string): string {
  return lua.replace(INCLUDE, (_, include: string) => {
    const included = join(dir, 'includes', `${include}.lua`);
    try {
      return readFileSync(included, 'utf8').trimEnd();
    } catch (err) {
      throw new Error(`${path}: cannot include "${include}" (${included}): ${(err as Error).message}`);
    }
  });
}

/** The key count declared in the leading comment block; see the conventions above. */
export function parseKeysHeader(lua: string, path: string): number | undefined {
  for (const line of lua.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (!trimmed.startsWith('--')) break;
    const declared = KEYS_HEADER.exec(trimmed)?.[1];
    if (declared === undefined) continue;
    if (declared === 'variable') return undefined;
    if (/^\d+$/.test(declared)) return Number(declared);
    throw new Error(`${path}: "-- KEYS: ${declared}" must be a whole number or "variable"`);
  }
  throw new Error(
    `${path}: the leading comment block must declare the key count, e.g. "-- KEYS: 2" or "-- KEYS: variable"`,
  );
}

const camelCase = (kebab: string): string => kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const kebabCase = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
