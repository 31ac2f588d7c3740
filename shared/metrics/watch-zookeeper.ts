import type { Registry } from 'prom-client';
import type { ZkConnection } from '../lock/zk-connection.js';
import { zooKeeperMetrics } from './metrics.js';

/** Exports a ZooKeeper connection's state, its drops and its session expirations. */
export function watchZooKeeper(connection: ZkConnection, registry: Registry): void {
  const metrics = zooKeeperMetrics(registry, () => connection.isConnected);
  connection.on('disconnected', () => metrics.disconnects.inc());
  connection.on('expired', () => metrics.sessionExpirations.inc());
}
