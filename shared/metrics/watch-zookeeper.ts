import type { Registry } from 'prom-client';
import type { ZkConnection } from '../lock/zk-connection.js';
import { zooKeeperMetrics } from './metrics.js';

/** A live session that is connected right now: grab_zk_connected, and the ZooKeeper half of readiness. */
export const zooKeeperConnected = (connection: ZkConnection): boolean => connection.liveSession?.isConnected === true;

/** Exports a ZooKeeper connection's state, its drops and its session expirations. */
export function watchZooKeeper(connection: ZkConnection, registry: Registry): void {
  const metrics = zooKeeperMetrics(registry, () => zooKeeperConnected(connection));
  connection.on('disconnected', () => metrics.disconnects.inc());
  connection.on('expired', () => metrics.sessionExpirations.inc());
}
