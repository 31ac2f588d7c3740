import { randomUUID } from 'node:crypto';
import { ZkConnection } from '../../shared/lock/zk-connection.js';
import { ZkLock, type ZkLockOptions } from '../../shared/lock/zk-lock.js';
import type { ZkSession } from '../../shared/lock/zk-session.js';

/** Tracks every connection a test opens, so afterEach can close them all. */
export class ZkFixture {
  readonly root = `/grab-test/${randomUUID()}`;
  private readonly connections: ZkConnection[] = [];

  constructor(private readonly connect: string) {}

  connection(sessionTimeoutMs = 10_000, connect = this.connect): ZkConnection {
    const connection = new ZkConnection({ connect, sessionTimeoutMs });
    this.connections.push(connection);
    return connection;
  }

  /** A lock in its own ZooKeeper session, as if in its own process. */
  lock(options: ZkLockOptions & { sessionTimeoutMs?: number; connect?: string } = {}): ZkLock {
    return new ZkLock(this.connection(options.sessionTimeoutMs, options.connect), { root: this.root, ...options });
  }

  session(sessionTimeoutMs?: number): Promise<ZkSession> {
    return this.connection(sessionTimeoutMs).session();
  }

  async children(lockKey: string): Promise<string[]> {
    const session = await this.session();
    return session.getChildren(`${this.root}/${lockKey}`, Date.now() + 5000);
  }

  closeAll(): void {
    for (const c of this.connections.splice(0)) c.close();
  }
}
