import type { Settings } from '../config/settings.js';
import type { Logger } from '../logging/logger.js';
import type { ZkSessionOptions } from './zk-session.js';

/** What every ZooKeeper session of the fleet is opened with: address, timeout and credentials. */
export function zkSessionOptions(
  settings: Pick<Settings, 'zkConnect' | 'zkSessionTimeoutMs' | 'zkAuth'>,
  logger?: Logger,
): ZkSessionOptions {
  return { connect: settings.zkConnect, sessionTimeoutMs: settings.zkSessionTimeoutMs, auth: settings.zkAuth, logger };
}
