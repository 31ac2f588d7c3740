import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/** A client with a line-oriented view of what it has received. */
async function connect(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  let received = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  await once(socket, 'connect');
  return {
    socket,
    get received() {
      return received;
    },
    get closed() {
      return closed;
    },
    /** Sends text and waits until the echo of it has arrived. */
    async roundTrip(text: string, timeoutMs = 2000) {
      const want = received + text;
      socket.write(text);
      await waitFor(() => received === want, timeoutMs);
    },
  };
}

async function waitFor(cond: () => boolean, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('tcp proxy', () => {
  let echo: net.Server;
  let echoed = ''; // everything the echo server has received
  let proxy: TcpProxy;

  beforeAll(async () => {
    echo = net.createServer((s) => {
      s.on('error', () => {});
      s.on('data', (d) => (echoed += d.toString()));
      s.pipe(s);
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    proxy = await startTcpProxy('127.0.0.1', (echo.address() as net.AddressInfo).port);
  });

  afterAll(async () => {
    await proxy.close();
    echo.close();
  });

  it('forwards bytes both ways and counts connections', async () => {
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    const c = await connect(proxy.port);
    await c.roundTrip('hello');
    await waitFor(() => proxy.connections === 1);
    const big = 'x'.repeat(1 << 20);
    await c.roundTrip(big, 5000);
    c.socket.destroy();
    await waitFor(() => proxy.connections === 0);
  });

  it('cut() breaks open connections and refuses new ones until restore()', async () => {
    const c = await connect(proxy.port);
    await c.roundTrip('before');
    proxy.cut();
    await waitFor(() => c.closed);
    expect(proxy.connections).toBe(0);

    const during = await connect(proxy.port);
    during.socket.write('lost');
    await waitFor(() => during.closed);
    expect(during.received).toBe('');

    proxy.restore();
    const after = await connect(proxy.port);
    await after.roundTrip('after');
    after.socket.destroy();
  });

  it('pause() holds bytes on open sockets and resume() delivers them', async () => {
    const c = await connect(proxy.port);
    await c.roundTrip('a');
    proxy.pause();
    c.socket.write('held');
    await new Promise((r) => setTimeout(r, 200));
    expect(c.received).toBe('a');
    expect(c.closed).toBe(false);

    // A connection made while paused is held too.
    const late = await connect(proxy.port);
    late.socket.write('late');
    await new Promise((r) => setTimeout(r, 100));
    expect(late.received).toBe('');

    proxy.resume();
    await waitFor(() => c.received === 'aheld');
    await waitFor(() => late.received === 'late');
    c.socket.destroy();
    late.socket.destroy();
  });

  it('pauseReplies() lets requests reach the server but holds the replies', async () => {
    const c = await connect(proxy.port);
    await c.roundTrip('a');
    proxy.pauseReplies();
    c.socket.write('request-1');
    await waitFor(() => echoed.endsWith('request-1'));
    await new Promise((r) => setTimeout(r, 100));
    expect(c.received).toBe('a');

    proxy.resume();
    await waitFor(() => c.received === 'arequest-1');
    c.socket.destroy();
  });
});
