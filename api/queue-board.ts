import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { ShardedQueue } from '../shared/queue/sharded-queue.js';

export const QUEUE_BOARD_PATH = '/queues';

/**
 * bull-board over every shard of the queue, read-only: jobs, their data, and why the failed
 * ones failed (a rejected grab's reason starts with "rejected:"), with no button that retries,
 * removes or adds a job. Its UI is prebuilt in the @bull-board/ui package: no install script.
 */
export async function mountQueueBoard(app: FastifyInstance, queue: ShardedQueue): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queue.shards.map((shard) => new BullMQAdapter(shard, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: `grab queue ${queue.name}` } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
}
