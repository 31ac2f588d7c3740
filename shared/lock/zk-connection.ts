import { EventEmitter } from 'node:events';
import type { Logger } from '../logging/logger.js';
import type { LostReason } from './zk-errors.js';
import { ZkSession, type ZkSessionOptions } from './zk-session.js';

export interface ZkConnectionOptions extends ZkSessionOptions {
  /**
   * Keep a session: after each loss, open a new one without waiting to be asked, retrying with a
   * bounded backoff until one is up or the connection is closed. Without it, a session is opened
   * only on demand, by session(), so a process that needs no lock stays disconnected after a loss.
   */
  keepSession?: boolean;
}

/** Why the connection went down: the link dropped (the session may still come back), or the session ended. */
export type DownReason = 'disconnected' | LostReason;

/** Between reconnect attempts of a kept session; each attempt itself lasts up to the session timeout. */
const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 2000;

/**
 * Connection-state handling, apart from any lock: keeps one live ZooKeeper session and opens a
 * fresh one after a loss. Whoever acquired something in the old session learns of the loss
 * through that session's own signal; nothing is silently moved into the new one.
 *
 * Reachability, for whoever must stop work while ZooKeeper is unreachable: `isConnected` is true
 * while the current session is connected to a server. 'up' is emitted when it turns true and
 * 'down' (with a DownReason) when it turns false, strictly alternating, the first 'up' at the
 * first connect. A 'down' for 'disconnected' may be followed by an 'up' of the same session
 * (a reconnect within the session timeout, locks still held); after any other reason the next
 * 'up' is a new session, opened by keepSession or by the next session() call.
 *
 * Per session, with the session as first argument: 'connected', 'disconnected', 'lost'
 * (session, reason) and 'expired' (the server said so).
 */
export class ZkConnection extends EventEmitter {
  private current: ZkSession | undefined;
  /** The session being opened, so close() can end it too. */
  private connecting: ZkSession | undefined;
  private opening: Promise<ZkSession> | undefined;
  private closed = false;
  private up = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly logger: Logger | undefined;

  constructor(private readonly options: ZkConnectionOptions) {
    super();
    this.logger = options.logger;
  }

  /** The live session, opening one if there is none. */
  session(): Promise<ZkSession> {
    if (this.closed) return Promise.reject(new Error('ZooKeeper connection is closed'));
    if (this.current && !this.current.isLost) return Promise.resolve(this.current);
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** The live session if there is one, without waiting. */
  get liveSession(): ZkSession | undefined {
    return this.current && !this.current.isLost ? this.current : undefined;
  }

  /** A live session connected to a server right now. */
  get isConnected(): boolean {
    return this.liveSession?.isConnected === true;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.connecting?.close();
    this.current?.close();
  }

  private async open(): Promise<ZkSession> {
    const session = new ZkSession(this.options);
    this.connecting = session;
    try {
      await session.connect();
    } finally {
      this.connecting = undefined;
    }
    this.current = session;
    session.on('connected', () => {
      this.emit('connected', session);
      this.updateState();
    });
    session.on('disconnected', () => {
      this.emit('disconnected', session);
      this.updateState();
    });
    session.once('lost', (reason: LostReason) => {
      this.emit('lost', session, reason);
      if (reason === 'session_expired') this.emit('expired', session);
      this.updateState(reason);
      this.keepAfterLoss();
    });
    this.logger?.info({ session: session.id, timeoutMs: session.sessionTimeoutMs }, 'zookeeper session established');
    this.updateState();
    return session;
  }

  private updateState(downReason: DownReason = 'disconnected'): void {
    const up = this.isConnected;
    if (up === this.up) return;
    this.up = up;
    if (up) this.emit('up');
    else this.emit('down', downReason);
  }

  /** In keepSession mode, opens the next session at once, then retries with a growing delay. */
  private keepAfterLoss(attempt = 0): void {
    if (this.closed || !this.options.keepSession) return;
    clearTimeout(this.retryTimer);
    const delayMs =
      attempt === 0 ? 0 : Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => {
      this.session().catch((err: unknown) => {
        if (this.closed) return;
        this.logger?.warn({ err, attempt: attempt + 1 }, 'zookeeper session could not be re-opened; retrying');
        this.keepAfterLoss(attempt + 1);
      });
    }, delayMs);
    this.retryTimer.unref();
  }
}
