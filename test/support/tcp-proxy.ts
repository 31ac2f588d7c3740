/**
 * A TCP proxy on a free loopback port, for fault injection between a client and a real server:
 * point the client at `proxy.address` and break the link at will.
 *
 *  - cut() / restore(): a broken link. Every open connection is destroyed, and new ones are
 *    accepted and destroyed at once, until restore().
 *  - pause() / resume(): a black-holed link. Sockets stay open but no byte moves either way;
 *    connections made meanwhile are accepted and held. On resume() whatever was held back flows
 *    on, as TCP would deliver it once the link came back.
 *  - pauseReplies() / pauseRequests(): the same in one direction only (server to client, or
 *    client to server), e.g. a request that reaches the server whose reply is lost. resume()
 *    ends either.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** 127.0.0.1:PORT */
  readonly address: string;
  /** Client connections currently open through the proxy. */
  readonly connections: number;
  readonly isCut: boolean;
  /** True while either direction is paused. */
  readonly isPaused: boolean;
  cut(): void;
  restore(): void;
  pause(): void;
  /** Holds bytes from the server to its clients; requests still reach the server. */
  pauseReplies(): void;
  /** Holds bytes from clients to the server; replies already on their way still arrive. */
  pauseRequests(): void;
  resume(): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** What is held back, per direction. */
interface Hold {
  requests: boolean;
  replies: boolean;
}

/** One client connection and its connection to the target, copying bytes both ways with backpressure. */
class Link {
  private upstream: net.Socket | undefined;
  private closed = false;

  constructor(
    private readonly client: net.Socket,
    private readonly target: { host: string; port: number },
    private readonly hold: Hold,
    private readonly onClose: (link: Link) => void,
  ) {
    client.setNoDelay(true);
    client.pause();
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
    // With requests held back, not even the connection reaches the server until resume().
    if (!hold.requests) this.connect();
  }

  private connect(): void {
    const upstream = net.connect(this.target);
    this.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.pause();
    upstream.on('error', () => this.destroy());
    upstream.on('close', () => this.destroy());
    upstream.on('connect', () => {
      this.forward(this.client, upstream, 'requests');
      this.forward(upstream, this.client, 'replies');
      this.flow();
    });
  }

  private forward(from: net.Socket, to: net.Socket, direction: keyof Hold): void {
    from.on('data', (chunk) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!this.hold[direction]) from.resume();
        });
      }
    });
    from.on('end', () => to.end());
  }

  /** Lets bytes move in every direction not held back (connecting first if that was deferred). */
  flow(): void {
    if (this.closed) return;
    if (!this.upstream) {
      if (!this.hold.requests) this.connect();
      return;
    }
    if (this.upstream.connecting) return; // the 'connect' handler calls flow()
    // A reader whose writer awaits 'drain' is resumed by the drain handler, not here.
    if (!this.hold.requests && !this.upstream.writableNeedDrain) this.client.resume();
    if (!this.hold.replies && !this.client.writableNeedDrain) this.upstream.resume();
  }

  /** Stops reading in every direction held back. */
  stop(): void {
    if (this.hold.requests) this.client.pause();
    if (this.hold.replies) this.upstream?.pause();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.upstream?.destroy();
    this.onClose(this);
  }
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const links = new Set<Link>();
  const hold: Hold = { requests: false, replies: false };
  let isCut = false;

  const server = net.createServer((client) => {
    if (isCut) {
      client.on('error', () => {});
      client.destroy();
      return;
    }
    links.add(new Link(client, { host: targetHost, port: targetPort }, hold, (l) => links.delete(l)));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;

  const holdBack = (requests: boolean, replies: boolean) => {
    hold.requests ||= requests;
    hold.replies ||= replies;
    for (const l of links) l.stop();
  };

  return {
    port,
    address: `${HOST}:${port}`,
    get connections() {
      return links.size;
    },
    get isCut() {
      return isCut;
    },
    get isPaused() {
      return hold.requests || hold.replies;
    },
    cut() {
      isCut = true;
      for (const l of [...links]) l.destroy();
    },
    restore() {
      isCut = false;
    },
    pause: () => holdBack(true, true),
    pauseReplies: () => holdBack(false, true),
    pauseRequests: () => holdBack(true, false),
    resume() {
      hold.requests = false;
      hold.replies = false;
      for (const l of links) l.flow();
    },
    close() {
      for (const l of [...links]) l.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
