import { connect } from 'node:net';

/**
 * The last transaction id the ZooKeeper server at the first address of `zkConnect` applied, from
 * its `srvr` four-letter word. Each write (create, delete, set, a session's start or end) takes
 * the next one, so the difference between two readings counts the writes in between.
 */
export async function lastZxid(zkConnect: string): Promise<bigint> {
  const [host, port] = zkConnect.split('/')[0]!.split(',')[0]!.split(':') as [string, string | undefined];
  const reply = await new Promise<string>((resolve, reject) => {
    let text = '';
    const socket = connect({ host, port: Number(port ?? 2181) }, () => socket.end('srvr'));
    socket.setTimeout(5000, () => socket.destroy(new Error(`ZooKeeper at ${host} did not answer srvr`)));
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  const zxid = /Zxid: (0x[0-9a-f]+)/i.exec(reply)?.[1];
  if (!zxid)
    throw new Error(`ZooKeeper's srvr reply has no Zxid (is srvr in 4lw.commands.whitelist?): ${reply.slice(0, 80)}`);
  return BigInt(zxid);
}
