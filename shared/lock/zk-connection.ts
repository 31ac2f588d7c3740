import { EventEmitter } from 'node:events';
import type { Logger } from '../logging/logger.js';
import { ZkSession, type ZkSessionOptions } from './zk-session.js';

/**
 * Connection-state handling, apart from any lock: keeps one live ZooKeeper session and opens a
 * fresh one after a loss. Whoever acquired something in the old session learns of the loss
 * through that session's own signal; nothing is silently moved into the new one.
 */
export class ZkConnection extends EventEmitter {
  private current: ZkSession | undefined;
  private opening: Promise<ZkSession> | undefined;
  private closed = false;
  private readonly logger: Logger | undefined;

  constructor(private readonly options: ZkSessionOptions) {
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

  close(): void {
    this.closed = true;
    this.current?.close();
  }

  private async open(): Promise<ZkSession> {
    const session = new ZkSession(this.options);
    session.on('connected', () => this.emit('connected', session));
    session.on('disconnected', () => this.emit('disconnected', session));
    session.once('lost', (reason: string) => {
      this.emit('lost', session, reason);
      if (reason === 'session_expired') this.emit('expired', session);
    });
    await session.connect();
    this.current = session;
    this.logger?.info({ session: session.id, timeoutMs: session.sessionTimeoutMs }, 'zookeeper session established');
    return session;
  }
}
