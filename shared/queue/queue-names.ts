/** The one grab queue. The prefix is a Redis Cluster hash tag, so all of the queue's keys share a slot. */
export const GRAB_QUEUE = 'grab';
export const QUEUE_PREFIX = '{grab}';
