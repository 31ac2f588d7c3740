/**
 * A private Redis for one test file (or describe block), for tests that kill, restart or
 * persist it: started in beforeAll, stopped in afterAll of the scope it is called in.
 */
import { afterAll, beforeAll } from 'vitest';
import { testZkConnect } from './env.js';
import { type RedisOptions, type RedisServer, startRedis } from './servers.js';

export interface PrivateRedis extends RedisServer {
  /** The environment of grab processes: this Redis, the run's ZooKeeper, and the extra variables. */
  readonly env: Record<string, string>;
}

/**
 * Its fields can be read once beforeAll has run. Chaos scenarios want `{ appendonly: true }`:
 * with the default fsync 'always', a kill -9 loses nothing Redis acknowledged.
 */
export function privateRedis(options: RedisOptions = {}, extraEnv: Record<string, string> = {}): PrivateRedis {
  let started: RedisServer | undefined;
  let env: Record<string, string> | undefined;
  beforeAll(async () => {
    started = await startRedis(options);
    env = { REDIS_URL: started.url, ZK_CONNECT: testZkConnect(), ...extraEnv };
  });
  afterAll(async () => {
    await started?.stop();
  });
  // Every field read goes to the server started in beforeAll (its api() binds its methods).
  return new Proxy({} as PrivateRedis, {
    get: (_, field) => {
      if (!started) throw new Error('the private Redis starts in beforeAll: use it from a hook or a test');
      return field === 'env' ? env : Reflect.get(started, field);
    },
  });
}
