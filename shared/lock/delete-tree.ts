import { isNoNode } from './zk-errors.js';
import type { ZkSession } from './zk-session.js';

/** Deletes a ZooKeeper node and everything under it; a node already gone is fine. */
export async function deleteTree(session: ZkSession, path: string): Promise<void> {
  const deadline = Date.now() + session.sessionTimeoutMs;
  let children: string[];
  try {
    children = await session.getChildren(path, deadline);
  } catch (err) {
    if (isNoNode(err)) return;
    throw err;
  }
  for (const child of children) await deleteTree(session, `${path}/${child}`);
  try {
    await session.remove(path, deadline);
  } catch (err) {
    if (!isNoNode(err)) throw err;
  }
}
