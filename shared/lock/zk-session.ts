import { EventEmitter, setMaxListeners } from 'node:events';
import zookeeper, { type Client, type Event, type Stat } from 'node-zookeeper-client';
import type { Logger } from '../logging/logger.js';
import { LockLostError, type LostReason, ZkTimeoutError } from './zk-errors.js';

const { ACL, CreateMode, Id, Permission, State } = zookeeper;

export interface ZkSessionOptions {
  connect: string;
  sessionTimeoutMs: number;
  /** Digest credentials `user:password`; when set, every node this session creates is theirs alone to change. */
  auth?: string | undefined;
  /** How often to prove the link is alive when nothing else talks to the server. */
  heartbeatMs?: number;
  /** Subtracted from the session timeout when computing the safe deadline (clock drift, scheduling). */
  safetyMarginMs?: number;
  logger?: Logger | undefined;
}

type Callback<T> = (error: unknown, result: T) => void;

interface ConnectionManagerInternals {
  socket?: { destroy(): void };
  /** Bound to each new socket's 'connect' event when the socket is opened. */
  onSocketConnected(): void;
}

/**
 * With credentials, only sessions authenticated as the same user may create or delete under a
 * node (the "auth" scheme stands for the creator's identities); anyone may still read, so an
 * operator can inspect the queues. Without, the nodes are open, as ZooKeeper's default.
 */
function aclFor(auth: string | undefined): zookeeper.ACL[] {
  if (!auth) return [new ACL(Permission.ALL, new Id('world', 'anyone'))];
  return [new ACL(Permission.ALL, new Id('auth', '')), new ACL(Permission.READ, new Id('world', 'anyone'))];
}

/**
 * One ZooKeeper session, from connect to loss. It never outlives its session: once lost it
 * stays lost, so nothing acquired in it can be carried into a new one.
 *
 * Loss policy: the session is lost when the server says it expired, when it is closed, or when
 * the safe deadline (send time of the last answered request + session timeout - margin) passes
 * without an answer. A disconnect alone is not a loss: the server keeps the session, and our
 * ephemeral nodes, until the timeout, which the safe deadline already stays inside.
 * node-zookeeper-client has no read timeout, so a heartbeat request keeps the deadline fresh
 * and reveals a dead link that still looks connected.
 */
export class ZkSession extends EventEmitter {
  readonly client: Client;
  /** The ACL of every node this session creates. */
  readonly acl: zookeeper.ACL[];
  readonly lostSignal: AbortSignal;
  private readonly lostController = new AbortController();
  private lastContactSentAt = 0;
  private negotiatedTimeoutMs: number;
  private readonly marginMs: number;
  private readonly heartbeatMs: number;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private connected = false;
  private sessionIdHex = '';

  constructor(private readonly options: ZkSessionOptions) {
    super();
    // Every lock waiter in the process listens for reconnects on its session.
    this.setMaxListeners(0);
    this.lostSignal = this.lostController.signal;
    setMaxListeners(0, this.lostSignal);
    this.negotiatedTimeoutMs = options.sessionTimeoutMs;
    this.marginMs = options.safetyMarginMs ?? Math.max(200, Math.floor(options.sessionTimeoutMs / 5));
    this.heartbeatMs = options.heartbeatMs ?? Math.max(100, Math.floor(options.sessionTimeoutMs / 6));
    // retries: 0 — node-zookeeper-client re-sends a sequential create blindly otherwise.
    this.client = zookeeper.createClient(options.connect, {
      sessionTimeout: options.sessionTimeoutMs,
      spinDelay: 200,
      retries: 0,
    });
    if (options.auth) this.client.addAuthInfo('digest', Buffer.from(options.auth));
    this.acl = aclFor(options.auth);
    this.client.on('state', (state) => this.onState(state));
  }

  /** Connects; rejects if no session is established within the timeout, or the session is closed first. */
  async connect(timeoutMs = this.options.sessionTimeoutMs): Promise<void> {
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lostSignal.removeEventListener('abort', onLost);
        this.close();
        reject(new ZkTimeoutError(`no ZooKeeper session from ${this.options.connect} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onLost = () => {
        clearTimeout(timer);
        reject(this.lostError());
      };
      this.lostSignal.addEventListener('abort', onLost, { once: true });
      this.client.once('connected', () => {
        clearTimeout(timer);
        this.lostSignal.removeEventListener('abort', onLost);
        resolve();
      });
    });
    this.client.connect();
    await connected;
  }

  get id(): string {
    return this.sessionIdHex;
  }

  get isLost(): boolean {
    return this.lostSignal.aborted;
  }

  get isConnected(): boolean {
    return this.connected && !this.isLost;
  }

  get sessionTimeoutMs(): number {
    return this.negotiatedTimeoutMs;
  }

  /** The logger the session was opened with, for what is done in its name (lock-internals.ts). */
  get logger(): Logger | undefined {
    return this.options.logger;
  }

  /** Until this time, the server cannot have expired the session, so locks held in it are safe. */
  get safeUntil(): number {
    return this.lastContactSentAt + this.negotiatedTimeoutMs - this.marginMs;
  }

  isSafe(now = Date.now()): boolean {
    return !this.isLost && now < this.safeUntil;
  }

  /** The session id as ZooKeeper puts it in a node's ephemeralOwner. */
  ownsEphemeral(stat: Stat): boolean {
    return stat.ephemeralOwner.equals(this.client.getSessionId());
  }

  close(): void {
    this.markLost('session_closed');
  }

  /** Resolves once connected; rejects when the session is lost first or the deadline passes. */
  whenConnected(deadline: number): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.off('connected', onConnected);
        this.lostSignal.removeEventListener('abort', onLost);
        if (err) reject(err);
        else resolve();
      };
      const onConnected = () => done();
      const onLost = () => done(this.lostError());
      const timer = setTimeout(
        () => done(new ZkTimeoutError('still disconnected from ZooKeeper')),
        Math.max(0, deadline - Date.now()),
      );
      this.on('connected', onConnected);
      this.lostSignal.addEventListener('abort', onLost, { once: true });
      if (this.isLost) onLost();
    });
  }

  lostError(): LockLostError {
    return new LockLostError((this.lostSignal.reason as LostReason | undefined) ?? 'session_closed');
  }

  /** onLateReply receives a path created after the deadline passed, so the caller can remove it. */
  create(path: string, mode: number, deadline: number, onLateReply?: (path: string) => void): Promise<string> {
    return this.call<string>(
      (cb) => this.client.create(path, Buffer.alloc(0), this.acl, mode, cb),
      deadline,
      onLateReply,
    );
  }

  ensurePath(path: string, deadline: number): Promise<string> {
    return this.call<string>(
      (cb) => this.client.mkdirp(path, Buffer.alloc(0), this.acl, CreateMode.PERSISTENT, cb),
      deadline,
    );
  }

  exists(path: string, deadline: number, watcher?: (event: Event) => void): Promise<Stat | null> {
    return this.call<Stat | null>(
      (cb) => (watcher ? this.client.exists(path, watcher, cb) : this.client.exists(path, cb)),
      deadline,
    );
  }

  getChildren(path: string, deadline: number, watcher?: (event: Event) => void): Promise<string[]> {
    return this.call<string[]>(
      (cb) => (watcher ? this.client.getChildren(path, watcher, cb) : this.client.getChildren(path, cb)),
      deadline,
    );
  }

  remove(path: string, deadline: number): Promise<void> {
    return this.call<void>((cb) => this.client.remove(path, -1, cb as (e: unknown) => void), deadline);
  }

  /**
   * Every call gets our own deadline: requests queued while disconnected never time out in
   * node-zookeeper-client, and their callbacks may never fire on expiry.
   */
  private call<T>(send: (cb: Callback<T>) => void, deadline: number, onLateReply?: (result: T) => void): Promise<T> {
    if (this.isLost) return Promise.reject(this.lostError());
    const sentAt = Date.now();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(
        () => {
          settled = true;
          reject(new ZkTimeoutError('ZooKeeper did not answer in time'));
        },
        Math.max(0, deadline - sentAt),
      );
      send((error, result) => {
        if (settled) {
          if (!error) onLateReply?.(result);
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (error) {
          reject(error);
          return;
        }
        this.touch(sentAt);
        resolve(result);
      });
    });
  }

  private touch(sentAt: number): void {
    if (sentAt <= this.lastContactSentAt || this.isLost) return;
    this.lastContactSentAt = sentAt;
  }

  private onState(state: zookeeper.State): void {
    this.options.logger?.debug({ state: state.name, session: this.sessionIdHex }, 'zookeeper state');
    if (state === State.SYNC_CONNECTED || state === State.CONNECTED_READ_ONLY) {
      this.connected = true;
      this.sessionIdHex = this.client.getSessionId().toString('hex');
      this.negotiatedTimeoutMs = this.client.getSessionTimeout() || this.negotiatedTimeoutMs;
      this.touch(Date.now());
      this.startTimers();
      this.emit('connected');
    } else if (state === State.DISCONNECTED) {
      this.connected = false;
      this.emit('disconnected');
    } else if (state === State.EXPIRED) {
      this.markLost('session_expired');
    } else if (state === State.AUTH_FAILED) {
      this.markLost('session_closed');
    }
  }

  private startTimers(): void {
    if (this.heartbeatTimer || this.isLost) return;
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
    this.armDeadline();
  }

  private heartbeat(): void {
    if (!this.connected) return;
    const answerBy = Date.now() + this.heartbeatMs * 2;
    this.exists('/', answerBy).then(
      () => this.armDeadline(),
      (err: unknown) => {
        if (err instanceof ZkTimeoutError) this.dropDeadLink();
      },
    );
  }

  /** node-zookeeper-client's connection manager, reached into only where its API falls short. */
  private get manager(): ConnectionManagerInternals | undefined {
    return (this.client as unknown as { connectionManager?: ConnectionManagerInternals }).connectionManager;
  }

  /** A heartbeat went unanswered on a link that claims to be up: make the client reconnect. */
  private dropDeadLink(): void {
    if (!this.connected || this.isLost) return;
    this.options.logger?.warn({ session: this.sessionIdHex }, 'zookeeper link silent; reconnecting');
    this.manager?.socket?.destroy();
  }

  /**
   * client.close() on a client that is not connected leaves it closing while its reconnect timer
   * still opens a socket; the server's answer to that socket's connect request is then read as a
   * reply and throws from the socket handler, which kills the process
   * (node-zookeeper-client issue #70). So a client that is not connected also loses its socket,
   * and any socket it opens later is destroyed as soon as it connects.
   */
  private closeClient(): void {
    const state = this.client.getState();
    this.client.close();
    if (state === State.SYNC_CONNECTED || state === State.CONNECTED_READ_ONLY) return;
    const manager = this.manager;
    if (!manager) return;
    manager.onSocketConnected = function (this: ConnectionManagerInternals) {
      this.socket?.destroy();
    };
    manager.socket?.destroy();
  }

  private armDeadline(): void {
    if (this.isLost) return;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(
      () => {
        if (Date.now() >= this.safeUntil) this.markLost('safe_deadline_passed');
        else this.armDeadline();
      },
      Math.max(0, this.safeUntil - Date.now()),
    );
    this.deadlineTimer.unref();
  }

  private markLost(reason: LostReason): void {
    if (this.isLost) return;
    this.connected = false;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.deadlineTimer);
    this.lostController.abort(reason);
    const level = reason === 'session_closed' ? 'info' : 'warn';
    this.options.logger?.[level]({ reason, session: this.sessionIdHex }, 'zookeeper session ended');
    this.emit('lost', reason);
    // Closing ends the session on the server too, so our ephemeral nodes go at once if it still lives.
    this.closeClient();
  }
}
