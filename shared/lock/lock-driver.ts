import { randomUUID } from 'node:crypto';
import zookeeper from 'node-zookeeper-client';
import type { ZkSession } from './zk-session.js';

type Event = zookeeper.Event;
const { Event } = zookeeper;

const LOCK_NAME = 'lock-';
const PROTECTED_PREFIX = '_c_';
const SEQUENCE_DIGITS = 10;

/** The GUID that makes a contender's node findable after a create whose reply was lost. */
export const newProtectedId = (): string => randomUUID();

export const protectedNodePrefix = (protectedId: string): string => `${PROTECTED_PREFIX}${protectedId}-${LOCK_NAME}`;

/** The sequence suffix ZooKeeper appended; the rest of the name never takes part in ordering. */
export const sequenceOf = (nodeName: string): number => Number(nodeName.slice(-SEQUENCE_DIGITS));

export const isLockNode = (nodeName: string): boolean =>
  nodeName.startsWith(PROTECTED_PREFIX) && /^\d+$/.test(nodeName.slice(-SEQUENCE_DIGITS));

export function sortBySequence(children: string[]): string[] {
  return children.filter(isLockNode).sort((a, b) => sequenceOf(a) - sequenceOf(b));
}

export const findProtectedNode = (children: string[], protectedId: string): string | undefined =>
  children.find((name) => name.startsWith(`${PROTECTED_PREFIX}${protectedId}-`));

/** What the contender at a position should do: it holds the lock, or it waits on something. */
export type Standing = { holds: true } | { holds: false; watchNode: string };

/**
 * Naming, ordering and what a waiter watches. The standard driver watches only the predecessor;
 * the herd driver watches the whole parent and exists for comparison only.
 */
export interface LockDriver {
  readonly name: 'zk' | 'zk-herd';
  standing(sorted: string[], ownIndex: number): Standing;
  /**
   * Whether a watch event alone proves the waiter now holds the lock, sparing a listing.
   * Sequence numbers only grow, so the nodes ahead of a waiter can only go away: if the one
   * node ahead of it is deleted, nothing is ahead of it any more.
   */
  holdsAfter(event: Event, ownIndex: number): boolean;
  /**
   * Sets the watch. Resolves false if what it would watch is already gone, so the caller
   * re-checks at once instead of waiting for an event that will never come.
   */
  watch(
    session: ZkSession,
    parentPath: string,
    standing: Standing & { holds: false },
    deadline: number,
    onEvent: (event: Event) => void,
  ): Promise<boolean>;
}

export const predecessorDriver: LockDriver = {
  name: 'zk',
  standing(sorted, ownIndex) {
    return ownIndex === 0 ? { holds: true } : { holds: false, watchNode: sorted[ownIndex - 1]! };
  },
  holdsAfter(event, ownIndex) {
    return ownIndex === 1 && event.getType() === Event.NODE_DELETED;
  },
  async watch(session, parentPath, standing, deadline, onEvent) {
    const stat = await session.exists(`${parentPath}/${standing.watchNode}`, deadline, onEvent);
    return stat !== null;
  },
};

/** Deliberately naive: every waiter watches the parent's children, so every release wakes all of them. */
export const herdDriver: LockDriver = {
  name: 'zk-herd',
  standing: predecessorDriver.standing,
  holdsAfter: () => false,
  async watch(session, parentPath, standing, deadline, onEvent) {
    const children = await session.getChildren(parentPath, deadline, onEvent);
    return children.includes(standing.watchNode);
  },
};
