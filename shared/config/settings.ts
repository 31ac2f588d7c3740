import { z } from 'zod';
import { UsageError } from './errors.js';
import { coercedWholeNumber } from './whole-number.js';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every setting the fleet reads. Each comes from its environment variable and can be
 * overridden on the command line by its flag; both are validated before anything starts.
 */
export const settingDefinitions = {
  redisUrl: {
    env: 'REDIS_URL',
    flag: 'redis-url',
    default: 'redis://127.0.0.1:6379',
    describe:
      'Redis holding the queue and the ledger (redis:// or rediss:// for TLS; user and password may be in the URL)',
    secret: true,
    schema: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379'),
  },
  redisClusterNodes: {
    env: 'REDIS_CLUSTER_NODES',
    flag: 'redis-cluster-nodes',
    default: '',
    describe:
      'Redis Cluster nodes host:port,host:port,... (any of them; the rest are found): every ' +
      'connection then talks to the cluster, with the user, password and TLS of --redis-url; empty: one Redis at --redis-url',
    schema: z
      .string()
      .regex(
        /^$|^[A-Za-z0-9.\-[\]:]+:\d{1,5}(,[A-Za-z0-9.\-[\]:]+:\d{1,5})*$/,
        'must be host:port[,host:port...] without spaces, e.g. 10.0.0.1:7000,10.0.0.2:7000, or empty for one Redis',
      )
      .transform((v) => (v === '' ? undefined : v.split(','))),
  },
  zkConnect: {
    env: 'ZK_CONNECT',
    flag: 'zk-connect',
    default: '127.0.0.1:2181',
    describe: 'ZooKeeper connect string: comma-separated host:port list, optional /chroot',
    schema: z
      .string()
      .regex(
        /^[A-Za-z0-9.\-[\]:]+:\d+(,[A-Za-z0-9.\-[\]:]+:\d+)*(\/[A-Za-z0-9_\-/]*)?$/,
        'must be host:port[,host:port...][/chroot], e.g. 127.0.0.1:2181',
      ),
  },
  zkAuth: {
    env: 'ZK_AUTH',
    flag: 'zk-auth',
    default: '',
    describe:
      'ZooKeeper digest credentials user:password; when set, lock nodes get ' +
      'an ACL only these credentials can change (never logged; prefer the ' +
      'variable to the flag)',
    secret: true,
    schema: z
      .string()
      .regex(/^$|^[^:\s]+:\S+$/, 'must be user:password (no spaces), or empty for no authentication')
      .transform((v) => (v === '' ? undefined : v)),
  },
  zkSessionTimeoutMs: {
    env: 'ZK_SESSION_TIMEOUT_MS',
    flag: 'zk-session-timeout-ms',
    default: '10000',
    describe: 'ZooKeeper session timeout asked for, in milliseconds (the server may narrow it)',
    schema: coercedWholeNumber(1000, 120000),
  },
  queue: {
    env: 'GRAB_QUEUE',
    flag: 'queue',
    default: 'grab',
    describe: 'BullMQ queue the grabs go through (separate fleets, or benchmarks, use their own)',
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, "_" or "-", e.g. grab'),
  },
  queueShards: {
    env: 'GRAB_QUEUE_SHARDS',
    flag: 'queue-shards',
    default: '16',
    describe:
      'how many BullMQ queues the grabs are split over, by pool; each is ' +
      "consumed by one worker process at a time, so a pool's lock stays with " +
      'one process (every producer and worker of a queue must agree)',
    schema: coercedWholeNumber(1, 1024),
  },
  jobLockMs: {
    env: 'GRAB_JOB_LOCK_MS',
    flag: 'job-lock-ms',
    default: '8000',
    describe:
      "how long a worker's lock on a job it took lasts unless renewed " +
      "(BullMQ lockDuration; renewed while the job runs); a killed worker's " +
      'jobs go back to the queue once it lapses',
    schema: coercedWholeNumber(1000, 600000),
  },
  stalledIntervalMs: {
    env: 'GRAB_STALLED_INTERVAL_MS',
    flag: 'stalled-interval-ms',
    default: '2000',
    describe:
      'how often each queue shard is checked for jobs whose lock lapsed, ' +
      'which go back to the queue (BullMQ stalledInterval; one check per ' +
      'shard per interval, fleet-wide)',
    schema: coercedWholeNumber(500, 600000),
  },
  admission: {
    env: 'GRAB_ADMISSION',
    flag: 'admission',
    default: 'on',
    describe:
      'on: grabs of a sold-out, closed or expired pool are settled in one small script per pool, ' +
      "without the pool's lock: by grab work, and before the queue by grab produce and the API; " +
      'off: every grab is enqueued and every batch takes the lock path (for comparison)',
    // Kept as the word, so a child process's environment (child-env.ts) carries it as given.
    schema: z.enum(['on', 'off'], { error: 'must be on or off' }),
  },
  commitReplicas: {
    env: 'GRAB_COMMIT_REPLICAS',
    flag: 'commit-replicas',
    default: 'auto',
    describe:
      "how many replicas must hold a batch's grants and outcomes (Redis WAIT) before its grabs " +
      'count as settled; auto: 1 if the Redis (or every cluster master) has a replica at start, ' +
      'else 0; 0 turns the wait off',
    // Kept as given ('auto' or a number), so a child process's environment carries it as given.
    schema: z
      .string()
      .regex(/^(auto|\d{1,2})$/, 'must be auto or a whole number of replicas from 0 to 99')
      .transform((v) => (v === 'auto' ? ('auto' as const) : Number(v))),
  },
  commitWaitMs: {
    env: 'GRAB_COMMIT_WAIT_MS',
    flag: 'commit-wait-ms',
    default: '1000',
    describe:
      'how long a commit waits for its replicas (WAIT timeout, milliseconds); past it the grabs are ' +
      'put back unsettled and tried again',
    schema: coercedWholeNumber(10, 60000),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    flag: 'log-level',
    default: 'info',
    describe: `pino log level: ${logLevels.join(', ')}`,
    schema: z.enum(logLevels, { error: `must be one of ${logLevels.join(', ')}` }),
  },
  metricsPort: {
    env: 'METRICS_PORT',
    flag: 'metrics-port',
    default: 'off',
    describe:
      'port of /metrics, /healthz and /readyz for grab work and grab produce ' +
      '(grab fleet: worker i gets port + i; 0: any free port)',
    schema: z
      .string()
      .refine(
        (v) => v === 'off' || (/^\d{1,5}$/.test(v) && Number(v) <= 65535),
        'must be off or a port number from 0 to 65535',
      )
      .transform((v) => (v === 'off' ? undefined : Number(v))),
  },
  metricsHost: {
    env: 'METRICS_HOST',
    flag: 'metrics-host',
    default: '127.0.0.1',
    describe: 'address the metrics port binds to (0.0.0.0 in a container)',
    schema: z.string().regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0'),
  },
  apiToken: {
    env: 'GRAB_API_TOKEN',
    flag: 'api-token',
    default: '',
    describe:
      'bearer token the HTTP API (grab serve) asks of every POST; unset, grab serve binds to loopback only (never logged; prefer the variable to the flag)',
    secret: true,
    schema: z
      .string()
      .regex(/^$|^[\x21-\x7e]{16,256}$/, 'must be 16 to 256 printable characters without spaces, or empty for none')
      .transform((v) => (v === '' ? undefined : v)),
  },
} as const;

export type SettingName = keyof typeof settingDefinitions;
export type Settings = { [K in SettingName]: z.output<(typeof settingDefinitions)[K]['schema']> };

/** Where a setting's value came from: its flag, its environment variable, or its default. */
export type SettingSource = 'flag' | 'env' | 'default';

export interface RawSetting {
  value: string;
  source: SettingSource;
}

/**
 * Validates every setting from its raw value. An error names the flag or the variable the value
 * came from, and shows the value unless the setting may hold a password.
 */
export function parseSettings(raw: (name: SettingName) => RawSetting): Settings {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(settingDefinitions) as SettingName[]) {
    const def = settingDefinitions[name];
    const { value, source } = raw(name);
    const parsed = def.schema.safeParse(value);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => i.message).join('; ');
      const shown = 'secret' in def ? ' (value not shown: it may hold a password)' : `=${JSON.stringify(value)}`;
      throw new UsageError(`invalid setting ${source === 'flag' ? `--${def.flag}` : def.env}${shown}: ${why}`);
    }
    out[name] = parsed.data;
  }
  return out as Settings;
}

/**
 * The settings of a process that reads them without the CLI's parser (a bench worker, a test):
 * a flag's value over the variable's, over the default, as on the command line.
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, flags: Record<string, unknown> = {}): Settings {
  return parseSettings((name) => {
    const def = settingDefinitions[name];
    const fromFlag = flags[def.flag];
    if (typeof fromFlag === 'string') return { value: fromFlag, source: 'flag' };
    const fromEnv = env[def.env];
    return fromEnv === undefined ? { value: def.default, source: 'default' } : { value: fromEnv, source: 'env' };
  });
}
