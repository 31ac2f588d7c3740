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
  const server = (): RedisServer => {
    if (!started) throw new Error('the private Redis starts in beforeAll: use it from a hook or a test');
    return started;
  };
  beforeAll(async () => {
    started = await startRedis(options);
    env = { REDIS_URL: started.url, ZK_CONNECT: testZkConnect(), ...extraEnv };
  });
  afterAll(async () => {
    await started?.stop();
  });
  return {
    get url() {
      return server().url;
    },
    get port() {
      return server().port;
    },
    get pid() {
      return server().pid;
    },
    get running() {
      return server().running;
    },
    get dir() {
      return server().dir;
    },
    get logFile() {
      return server().logFile;
    },
    get env() {
      server();
      return env!;
    },
    stop: () => server().stop(),
    kill9: () => server().kill9(),
    restart: () => server().restart(),
  };
}
