import zookeeper from 'node-zookeeper-client';
import {
  findProtectedNode,
  newProtectedId,
  protectedNodePrefix,
  sortBySequence,
  type LockDriver,
} from './lock-driver.js';
import { isConnectionLoss, isNoNode, LockLostError, LockTimeoutError } from './zk-errors.js';
import type { ZkSession } from './zk-session.js';

const { CreateMode, Event } = zookeeper;

/** What the lock algorithm reports, for the herd and contention metrics. */
export interface LockObserver {
  /** A watch event woke a waiter; `acquired` says whether the re-check then found it holding. */
  wakeup(driver: LockDriver['name'], acquired: boolean): void;
}

export interface HeldNode {
  path: string;
  /** czxid of the node: unique, totally ordered, and never reset, unlike the sequence number. */
  token: bigint;
  /** How many contenders were queued, the holder included, when it took the lock. */
  contenders: number;
  /** Fires if the node is deleted by anyone else (an operator, or the server on expiry). */
  vanished: AbortSignal;
}

interface Attempt {
  session: ZkSession;
  parentPath: string;
  driver: LockDriver;
  deadline: number;
  signal?: AbortSignal | undefined;
  observer: LockObserver;
}

const nameOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * The lock algorithm (Curator's LockInternals): one ephemeral-sequential node per attempt,
 * ordered by sequence, each waiter woken only by what its driver watches. Any failure deletes
 * the attempt's node before the error reaches the caller, so nothing is left behind.
 */
export async function attemptLock(attempt: Attempt): Promise<HeldNode> {
  const { session } = attempt;
  const protectedId = newProtectedId();
  let ourPath: string | undefined;
  try {
    ourPath = await createProtected(attempt, protectedId);
    return await waitForTurn(attempt, ourPath);
  } catch (err) {
    await (ourPath ? deleteGuaranteed(session, ourPath) : deleteProtected(session, attempt.parentPath, protectedId));
    throw err;
  }
}

/**
 * Creates the contender node without ever re-sending a create blindly: after a lost reply, look
 * for the node by its GUID, and adopt it only if this session owns it.
 */
export async function createProtected(attempt: Attempt, protectedId: string): Promise<string> {
  const { session, parentPath, deadline } = attempt;
  let id = protectedId;
  for (;;) {
    throwIfCancelled(attempt);
    try {
      return await session.create(
        `${parentPath}/${protectedNodePrefix(id)}`,
        CreateMode.EPHEMERAL_SEQUENTIAL,
        deadline,
        (late) => void deleteGuaranteed(session, late),
      );
    } catch (err) {
      if (isNoNode(err)) {
        await session.ensurePath(parentPath, deadline);
        continue;
      }
      if (!isConnectionLoss(err) || Date.now() >= deadline) throw err;
      await session.whenConnected(deadline);
      const recovered = await recoverProtected(session, parentPath, id, deadline);
      if (recovered.path) return recovered.path;
      if (recovered.foreign) id = newProtectedId();
    }
  }
}

/** Finds a node created under this GUID. One from another session is deleted, never adopted. */
export async function recoverProtected(
  session: ZkSession,
  parentPath: string,
  protectedId: string,
  deadline: number,
): Promise<{ path?: string; foreign?: boolean }> {
  const children = await session.getChildren(parentPath, deadline).catch((err: unknown) => {
    if (isNoNode(err)) return [];
    throw err;
  });
  const name = findProtectedNode(children, protectedId);
  if (!name) return {};
  const path = `${parentPath}/${name}`;
  const stat = await session.exists(path, deadline);
  if (!stat) return {};
  if (session.ownsEphemeral(stat)) return { path };
  await deleteGuaranteed(session, path);
  return { foreign: true };
}

async function waitForTurn(attempt: Attempt, ourPath: string): Promise<HeldNode> {
  const { session, parentPath, driver, deadline, observer } = attempt;
  const ourName = nameOf(ourPath);
  const vanished = new AbortController();
  // Sent together with the first listing: the stat carries the token, the watch reports deletion.
  const statOfOwnNode = () => {
    const stat = session.exists(ourPath, deadline, (event) => {
      if (event.getType() === Event.NODE_DELETED) vanished.abort('node_vanished');
    });
    stat.catch(() => undefined);
    return stat;
  };
  let ownStat = statOfOwnNode();
  let wakeup: zookeeper.Event | undefined;
  let sorted: string[] = [];
  let ownIndex = -1;
  for (;;) {
    throwIfCancelled(attempt);
    try {
      const holdsWithoutListing = wakeup !== undefined && driver.holdsAfter(wakeup, ownIndex);
      if (!holdsWithoutListing) {
        sorted = sortBySequence(await session.getChildren(parentPath, deadline));
        ownIndex = sorted.indexOf(ourName);
        if (ownIndex < 0) throw new LockLostError('node_vanished');
      }
      const standing = holdsWithoutListing ? ({ holds: true } as const) : driver.standing(sorted, ownIndex);
      if (wakeup) observer.wakeup(driver.name, standing.holds);
      if (standing.holds) {
        const stat = await ownStat;
        if (!stat || vanished.signal.aborted) throw new LockLostError('node_vanished');
        return {
          path: ourPath,
          token: stat.czxid.readBigUInt64BE(0),
          contenders: sorted.length,
          vanished: vanished.signal,
        };
      }
      wakeup = await waitForEvent(attempt, standing);
    } catch (err) {
      // Reads are safe to repeat: after a lost reply, wait for the link and look again.
      if (!isConnectionLoss(err) || Date.now() >= deadline) throw err;
      await session.whenConnected(deadline);
      ownStat = statOfOwnNode();
      wakeup = undefined;
    }
  }
}

/** Resolves with the watch event that fired, or undefined when a re-check is due for another reason. */
function waitForEvent(
  attempt: Attempt,
  standing: { holds: false; watchNode: string },
): Promise<zookeeper.Event | undefined> {
  const { session, parentPath, driver, deadline, signal } = attempt;
  return new Promise<zookeeper.Event | undefined>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: zookeeper.Event | Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      session.lostSignal.removeEventListener('abort', onLost);
      session.off('connected', onReconnect);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onAbort = () => finish(new LockTimeoutError('lock acquisition aborted'));
    const onLost = () => finish(session.lostError());
    // Watches survive a reconnect, but the world may have moved while we were away: look again.
    const onReconnect = () => finish(undefined);
    const timer = setTimeout(
      () => finish(new LockTimeoutError('lock not acquired before the timeout')),
      Math.max(0, deadline - Date.now()),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    session.lostSignal.addEventListener('abort', onLost, { once: true });
    session.on('connected', onReconnect);
    driver
      .watch(session, parentPath, standing, deadline, (event) => finish(event))
      .then(
        (watching) => {
          if (!watching) finish(undefined);
        },
        (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
      );
  });
}

function throwIfCancelled({ session, deadline, signal }: Attempt): void {
  if (session.isLost) throw session.lostError();
  if (signal?.aborted) throw new LockTimeoutError('lock acquisition aborted');
  if (Date.now() >= deadline) throw new LockTimeoutError('lock not acquired before the timeout');
}

/**
 * Deletes a node of the session, retrying while the session lives; once the session is gone, so
 * is the node. It never rejects, so it may run in the background: when the server refuses the
 * delete for good (NO_AUTH after the parent's ACL changed, SESSION_EXPIRED, SESSION_MOVED), the
 * session is ended instead, and the server removes the node with it.
 */
export async function deleteGuaranteed(session: ZkSession, path: string): Promise<void> {
  while (!session.isLost) {
    try {
      await session.remove(path, Date.now() + session.sessionTimeoutMs);
      return;
    } catch (err) {
      if (isNoNode(err) || session.isLost) return;
      if (!isConnectionLoss(err)) {
        session.logger?.warn(
          { err, path, session: session.id },
          'zookeeper refused to delete a lock node; ending the session, which removes it',
        );
        session.close();
        return;
      }
      await session.whenConnected(Date.now() + session.sessionTimeoutMs).catch(() => undefined);
    }
  }
}

/** After a failed create: the node may exist even though no reply said so. Find it and delete it. */
async function deleteProtected(session: ZkSession, parentPath: string, protectedId: string): Promise<void> {
  while (!session.isLost) {
    try {
      const deadline = Date.now() + session.sessionTimeoutMs;
      await session.whenConnected(deadline);
      const found = await recoverProtected(session, parentPath, protectedId, deadline);
      if (found.path) await deleteGuaranteed(session, found.path);
      return;
    } catch (err) {
      if (!isConnectionLoss(err)) return;
    }
  }
}
