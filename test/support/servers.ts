/**
 * Private Redis and ZooKeeper servers for tests: real processes, each on a free loopback port
 * and in its own temp dir, so a test can kill, restart or starve its servers without touching
 * anything else on the machine (a developer's Redis on 6379 included).
 *
 * Every process started here is tracked and killed when the test process exits, normally or
 * not: an 'exit' hook kills them at once, and a small detached reaper process kills them (and
 * removes their dirs) when our end of its stdin closes, which also covers SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';

export interface ServerProcess {
  /** The loopback port it listens on; the same across restarts. */
  readonly port: number;
  /** The pid of the current (or, once stopped, the last) process. */
  readonly pid: number;
  readonly running: boolean;
  /** Its private dir: data, config and log. Removed by stopAll() or when the test process exits. */
  readonly dir: string;
  readonly logFile: string;
  /** SIGTERM, then wait for it to exit (SIGKILL if it takes over 15 s). The dir is kept, so restart() works. */
  stop(): Promise<void>;
  /** SIGKILL, then wait for it to exit: a crash, with no chance to flush anything. */
  kill9(): Promise<void>;
  /** Stop it if it is running, then start it again on the same port with the same dir; resolves once it answers. */
  restart(): Promise<void>;
}

export interface RedisServer extends ServerProcess {
  /** redis://127.0.0.1:PORT, or redis://:PASSWORD@127.0.0.1:PORT with requirepass */
  readonly url: string;
}

export interface ZkServer extends ServerProcess {
  /** 127.0.0.1:PORT */
  readonly connect: string;
}

export interface RedisOptions {
  /**
   * Persist to an append-only file, so data survives restart() and kill9(). Default false:
   * nothing is persisted and a restarted server starts empty.
   */
  appendonly?: boolean;
  /**
   * fsync policy when appendonly: 'always' (default, as in docker-compose.yml; a kill9 loses nothing
   * acknowledged), 'everysec' (as scripts/services.sh runs it) or 'no'.
   */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** A password clients must give (letters and digits); the url then carries it. */
  requirepass?: string;
  /** The port of a master on loopback this one replicates (REPLICAOF), read-only. */
  replicaOf?: number;
  startupTimeoutMs?: number;
}

export interface ZkOptions {
  startupTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 15_000;
const LOG_TAIL_LINES = 40;

const ZK_CONF_DIR = '/etc/zookeeper/conf';
const ZK_JAR = '/usr/share/java/zookeeper.jar';
/** The Debian jar binds slf4j to nothing; these (hard dependencies of libzookeeper-java) make it log via log4j. */
const ZK_LOG_JARS = ['/usr/share/java/slf4j-log4j12.jar', '/usr/share/java/log4j-1.2.jar'];

// ---------------------------------------------------------------------------------------------
// Public API

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = makeDir('redis');
  const args = [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--save',
    '',
    '--appendonly',
    opts.appendonly ? 'yes' : 'no',
    '--appendfsync',
    opts.appendfsync ?? 'always',
    '--maxmemory-policy',
    'noeviction',
    '--logfile',
    '',
    ...(opts.requirepass ? ['--requirepass', opts.requirepass] : []),
    ...(opts.replicaOf ? ['--replicaof', HOST, String(opts.replicaOf)] : []),
  ];
  const server = new ManagedServer(
    'redis-server',
    'redis-server',
    args,
    port,
    dir,
    () => redisPing(port, opts.requirepass),
    opts.startupTimeoutMs ?? 15_000,
  );
  await server.start();
  return Object.assign(server.api(), {
    url: `redis://${opts.requirepass ? `:${opts.requirepass}@` : ''}${HOST}:${port}`,
  }) as RedisServer;
}

export async function startZooKeeper(opts: ZkOptions = {}): Promise<ZkServer> {
  if (!existsSync(ZK_JAR)) {
    throw new Error(`ZooKeeper is not installed (${ZK_JAR} is missing): run "sudo bash scripts/services.sh install"`);
  }
  const port = await freePort();
  const dir = makeDir('zookeeper');
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(
    cfg,
    [
      'tickTime=500',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      `clientPortAddress=${HOST}`,
      'minSessionTimeout=1000',
      'maxSessionTimeout=60000',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr,stat,mntr',
      '',
    ].join('\n'),
  );
  const classpath = [ZK_CONF_DIR, ZK_JAR, ...ZK_LOG_JARS.filter((j) => existsSync(j))].join(':');
  const args = [
    '-Xmx256m',
    '-cp',
    classpath,
    `-Dzookeeper.log.dir=${dir}`,
    '-Dzookeeper.root.logger=INFO,CONSOLE',
    'org.apache.zookeeper.server.quorum.QuorumPeerMain',
    cfg,
  ];
  const server = new ManagedServer(
    'zookeeper',
    'java',
    args,
    port,
    dir,
    () => zkReady(port),
    opts.startupTimeoutMs ?? 30_000,
  );
  await server.start();
  return Object.assign(server.api(), {
    connect: `${HOST}:${port}`,
  }) as ZkServer;
}

/**
 * For processes a script starts (its daemons) and their dirs: kills and removes them when this
 * test process exits, however it exits, unless untracked first.
 */
export const cleanUpOnExit = (what: { pid?: number; dir?: string }): void => reaper().track(what);
export const cleanedUp = (what: { pid?: number; dir?: string }): void => reaper().untrack(what);

/** Stops every server this process started (SIGTERM, in parallel) and removes their dirs. */
export async function stopAll(): Promise<void> {
  const servers = [...registry().servers];
  await Promise.allSettled(servers.map((s) => s.stop()));
  for (const s of servers) s.dispose();
}

// ---------------------------------------------------------------------------------------------
// One server process, restartable on the same port and dir

class ManagedServer {
  private child: ChildProcess | undefined;
  private alive = false;
  private exited: Promise<void> = Promise.resolve();
  private lastPid = 0;
  readonly logFile: string;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    readonly port: number,
    readonly dir: string,
    private readonly ready: () => Promise<boolean>,
    private readonly startupTimeoutMs: number,
  ) {
    this.logFile = join(dir, `${name}.log`);
    registry().servers.add(this);
    reaper().track({ dir });
  }

  get running(): boolean {
    return this.alive;
  }

  /** The object handed to tests: methods bound, fields read live. */
  api(): ServerProcess {
    const self = this;
    return {
      port: this.port,
      dir: this.dir,
      logFile: this.logFile,
      get pid() {
        return self.lastPid;
      },
      get running() {
        return self.running;
      },
      stop: () => this.stop(),
      kill9: () => this.kill9(),
      restart: () => this.restart(),
    };
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} on port ${this.port} is already running (pid ${this.lastPid})`);
    let spawnError: Error | undefined;
    const log = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.command, this.args, { cwd: this.dir, stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    // A forgotten server must not keep the test process alive; the exit hook kills it instead.
    child.unref();
    this.child = child;
    this.alive = true;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        this.alive = false;
        reaper().untrack({ pid: child.pid });
        resolve();
      });
      child.once('error', (err) => {
        // Only spawn failures land here (ENOENT and the like); kill() errors are not emitted for live children.
        this.alive = false;
        spawnError = err;
        resolve();
      });
    });
    if (child.pid !== undefined) {
      this.lastPid = child.pid;
      reaper().track({ pid: child.pid });
    }

    const deadline = Date.now() + this.startupTimeoutMs;
    for (;;) {
      if (!this.running) {
        await this.exited;
        if (spawnError) {
          throw new Error(
            `cannot run ${this.command} (${spawnError.message}); install it with: sudo ` +
              `bash scripts/services.sh install`,
          );
        }
        const how = child.signalCode ?? `code ${child.exitCode}`;
        throw new Error(`${this.name} on port ${this.port} exited (${how}) before it was ready. ${this.logTail()}`);
      }
      if (await this.ready()) return;
      if (Date.now() > deadline) {
        await this.kill9();
        throw new Error(
          `${this.name} on port ${this.port} was not ready after ${this.startupTimeoutMs} ms. ${this.logTail()}`,
        );
      }
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return this.exited;
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  async kill9(): Promise<void> {
    if (!this.running) return this.exited;
    this.child?.kill('SIGKILL');
    // A timer keeps the event loop alive while we wait for the (unref'd) child.
    const keepAlive = setTimeout(() => {}, STOP_GRACE_MS);
    await this.exited;
    clearTimeout(keepAlive);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Synchronous last resort, for the exit hook. */
  killNow(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }

  dispose(): void {
    this.killNow();
    registry().servers.delete(this);
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
    reaper().untrack({ dir: this.dir });
  }

  private logTail(): string {
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return `(no log at ${this.logFile})`;
    }
    const tail = text.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    return `Last lines of ${this.logFile}:\n${tail}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Readiness probes

/** Sends `request` and collects the reply until the server closes, `enough` says stop, or the timeout. */
function exchange(
  port: number,
  request: string,
  enough: (reply: string) => boolean,
  timeoutMs = 1000,
): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = net.connect({ host: HOST, port });
    const done = () => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(timeoutMs, done);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (d) => {
      reply += d.toString('latin1');
      if (enough(reply)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

/**
 * True once Redis answers PING with PONG (not -LOADING while it replays its AOF), after AUTH if it
 * wants a password.
 */
async function redisPing(port: number, password?: string): Promise<boolean> {
  const commands = password ? [`AUTH ${password}`, 'PING'] : ['PING'];
  const reply = await exchange(
    port,
    commands.map((c) => `${c}\r\n`).join(''),
    (r) => r.split('\r\n').length > commands.length,
  );
  return reply.endsWith('+PONG\r\n');
}

/**
 * True once ZooKeeper answers ruok with imok and serves requests: imok comes as soon as it
 * listens, about half a second before it has loaded its data and would accept a session.
 */
async function zkReady(port: number): Promise<boolean> {
  if ((await exchange(port, 'ruok', (r) => r.length >= 4)) !== 'imok') return false;
  return (await exchange(port, 'srvr', () => false)).startsWith('Zookeeper version');
}

// ---------------------------------------------------------------------------------------------
// Dirs

function makeDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `grab-test-${name}-`));
}

// ---------------------------------------------------------------------------------------------
// Tracking and cleanup, one per process (shared by every copy of this module a runner may load)

interface Registry {
  servers: Set<ManagedServer>;
  reaper?: Reaper;
}

function registry(): Registry {
  const key = Symbol.for('grab-fleet.test.servers');
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  let r = g[key];
  if (!r) {
    const created: Registry = { servers: new Set() };
    r = created;
    g[key] = created;
    process.once('exit', () => {
      for (const s of created.servers) s.killNow();
      for (const s of created.servers) {
        try {
          rmSync(s.dir, { recursive: true, force: true });
        } catch {
          // The reaper retries once the process is surely gone.
        }
      }
    });
  }
  return r;
}

/**
 * A detached node process that reads what to clean up from its stdin, one JSON line each, and
 * acts when stdin ends: that is when this process exits, however it exits.
 */
const REAPER_SCRIPT = `
const fs = require('node:fs');
const pids = new Set(), dirs = new Set();
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
    try {
      const m = JSON.parse(line);
      const set = m.pid !== undefined ? pids : dirs, v = m.pid ?? m.dir;
      if (m.op === 'add') set.add(v); else set.delete(v);
    } catch {}
  }
});
process.stdin.on('end', () => {
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  if (pids.size === 0 && dirs.size === 0) process.exit(0);
  setTimeout(() => {
    for (const dir of dirs) { try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 }); } catch {} }
    process.exit(0);
  }, 500);
});
`;

type Reaper = {
  track(what: { pid?: number; dir?: string }): void;
  untrack(what: { pid?: number | undefined; dir?: string }): void;
};

function reaper(): Reaper {
  const r = registry();
  if (r.reaper) return r.reaper;
  const child = spawn(process.execPath, ['-e', REAPER_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  child.unref();
  const stdin = child.stdin!;
  (stdin as unknown as net.Socket).unref?.();
  stdin.on('error', () => {}); // the reaper died: nothing better to do than carry on
  const send = (op: 'add' | 'del', what: { pid?: number | undefined; dir?: string }) => {
    if (what.pid === undefined && what.dir === undefined) return;
    if (!stdin.destroyed) stdin.write(`${JSON.stringify({ op, ...what })}\n`);
  };
  r.reaper = { track: (w) => send('add', w), untrack: (w) => send('del', w) };
  return r.reaper;
}
