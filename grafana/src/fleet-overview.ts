import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import {
  dashboard,
  datasourceVariable,
  selectAllVariable,
  statPanel,
  timeseriesPanel,
  yuan,
  type PanelSpec,
} from './panels.js';

/** The processes the job and instance variables select; "All" selects every one. */
const selected = 'job=~"$job", instance=~"$instance"';
/** The workers (or producers) among them, for the panels about one kind of process. */
const workers = `job="grab-worker", ${selected}`;
const producers = `job="grab-producer", ${selected}`;

const rate = (series: string) => `rate(${series}{${selected}}[$__rate_interval])`;
const increase = (series: string) => `increase(${series}{${selected}}[$__rate_interval])`;
const lockQuantiles = (histogram: string, quantiles: number[]): PanelSpec['queries'] =>
  quantiles.map((q) => [
    `histogram_quantile(${q}, sum by (le, strategy) (${rate(`${histogram}_bucket`)}))`,
    `p${Math.round(q * 100)} {{strategy}}`,
  ]);

export const fleetOverview = (): Dashboard =>
  dashboard({
    uid: 'grab-fleet-overview',
    title: 'Grab fleet overview',
    description:
      'Throughput, queue, locks, ZooKeeper and process health of every grab ' +
      'worker. Herd size is ZooKeeper wakeups per release: 1 for the zk ' +
      'lock, about the number of waiters for zk-herd.',
    variables: [
      datasourceVariable(),
      selectAllVariable('job', 'Job', 'up{job=~"grab-.+"}'),
      selectAllVariable('instance', 'Instance', 'up{job=~"grab-.+", job=~"$job"}'),
    ],
    panels: [
      timeseriesPanel({
        title: 'Grabs per second by outcome',
        description: 'error: the batch failed (lost lock, fenced commit, outage) and its grabs go back to the queue.',
        unit: units.OpsPerSecond,
        size: [12, 8],
        queries: [[`sum by (outcome) (${rate('grab_grabs_total')})`, '{{outcome}}']],
      }),
      timeseriesPanel({
        title: 'Grabs settled at admission per second',
        description:
          "Grabs settled by admission without their pool's lock: the pool was sold out, or closed or expired. Off when GRAB_ADMISSION=off.",
        unit: units.OpsPerSecond,
        size: [12, 8],
        queries: [[`sum by (reason) (${rate('grab_admission_settled_total')})`, '{{reason}}']],
      }),
      timeseriesPanel({
        title: 'Granted per second',
        description:
          'Money paid out per second over the fleet. A redelivered grab that replays its own grant counts again.',
        unit: yuan,
        size: [6, 8],
        queries: [[`sum(${rate('grab_granted_cents_total')}) / 100`, 'granted']],
      }),
      statPanel({
        title: 'Workers up',
        description:
          'Scrape targets that answer: the worker processes, and a producer ' +
          'while grab produce runs with --metrics-port.',
        unit: units.NoUnit,
        size: [6, 8],
        queries: [
          [`sum(up{${workers}})`, 'workers'],
          [`sum(up{${producers}})`, 'producers'],
        ],
        steps: [
          ['red', null],
          ['green', 1],
        ],
      }),
      timeseriesPanel({
        title: 'Queue depth by state',
        description: "BullMQ's own counts (every worker exports the same numbers, hence max).",
        unit: units.Short,
        size: [12, 8],
        queries: [[`max by (queue, state) (bullmq_job_count{state!="completed", ${selected}})`, '{{queue}} {{state}}']],
      }),
      timeseriesPanel({
        title: 'Lock wait p50 / p95 / p99',
        description: 'From asking for a pool lock to holding it. The alert fires on p99 above 2 s for 5 minutes.',
        unit: units.Seconds,
        size: [12, 8],
        queries: lockQuantiles('grab_lock_wait_seconds', [0.5, 0.95, 0.99]),
        steps: [
          ['green', null],
          ['yellow', 0.5],
          ['red', 2],
        ],
      }),
      timeseriesPanel({
        title: 'Lock hold p50 / p99',
        description:
          "How long a batch held its pool's lock, from acquisition to release. " +
          'Every waiter on the pool waits out the hold.',
        unit: units.Seconds,
        size: [8, 8],
        queries: lockQuantiles('grab_lock_hold_seconds', [0.5, 0.99]),
        steps: [
          ['green', null],
          ['yellow', 0.1],
          ['red', 1],
        ],
      }),
      timeseriesPanel({
        title: 'Herd size (wakeups per release)',
        description:
          'Waiters a ZooKeeper lock release wakes. The zk lock wakes only the ' +
          'next in line (1); zk-herd wakes every waiter.',
        unit: units.NoUnit,
        size: [8, 8],
        queries: [
          [
            `sum by (strategy) (${rate('grab_lock_wakeups_total')}) / sum by (strategy) ` +
              `(${rate('grab_lock_releases_total')})`,
            '{{strategy}}',
          ],
        ],
        steps: [
          ['green', null],
          ['yellow', 1.5],
          ['red', 3],
        ],
      }),
      timeseriesPanel({
        title: 'Lock contenders (top 10 pools)',
        description: 'Contenders queued on the lock, the holder included, at its last acquisition.',
        unit: units.Short,
        size: [8, 8],
        queries: [[`topk(10, max by (campaign, pool) (grab_lock_contenders{${selected}}))`, '{{campaign}}/{{pool}}']],
        steps: [
          ['green', null],
          ['yellow', 8],
        ],
      }),
      timeseriesPanel({
        title: 'Lost locks and fencing rejections',
        description:
          'A fencing rejection is a commit refused from a holder that had lost ' +
          'its lock: nothing was overspent, but a worker was paused or cut off ' +
          'past its session.',
        unit: units.Short,
        size: [8, 8],
        queries: [
          [`sum(${increase('grab_lock_lost_total')}) or vector(0)`, 'locks lost'],
          [`sum(${increase('grab_fencing_rejections_total')})`, 'fencing rejections'],
        ],
        steps: [
          ['green', null],
          ['red', 1],
        ],
      }),
      timeseriesPanel({
        title: 'ZooKeeper connectivity',
        description:
          'Workers with a connected ZooKeeper session, and the connection drops ' +
          'and session expirations among them. A session outlives a short drop; ' +
          'an expired one has lost every lock it held. Workers on the redis lock ' +
          'export none of these.',
        unit: units.Short,
        size: [8, 8],
        queries: [
          [`sum(grab_zk_connected{${selected}})`, 'connected workers'],
          [`sum(${increase('grab_zk_disconnects_total')})`, 'disconnects'],
          [`sum(${increase('grab_zk_session_expirations_total')})`, 'session expirations'],
        ],
      }),
      timeseriesPanel({
        title: 'Mean batch size',
        description:
          "Grabs settled per lock acquisition: what one hand-off of a pool's lock carries, at most --max-batch.",
        unit: units.Short,
        size: [8, 8],
        queries: [
          [`sum(${rate('grab_batch_size_sum')}) / sum(${rate('grab_batch_size_count')})`, 'grabs per lock acquisition'],
        ],
      }),
      timeseriesPanel({
        title: 'Event-loop lag p99 per worker',
        description:
          "The 99th percentile of each worker's Node.js event-loop delay. A " +
          'lagging loop answers ZooKeeper and hands locks over late.',
        unit: units.Seconds,
        size: [8, 8],
        queries: [[`nodejs_eventloop_lag_p99_seconds{${workers}}`, '{{instance}}']],
        steps: [
          ['green', null],
          ['yellow', 0.1],
          ['red', 0.5],
        ],
      }),
      timeseriesPanel({
        title: 'CPU per worker',
        description: '1 = one core busy.',
        unit: units.PercentUnit,
        size: [8, 8],
        queries: [[`rate(process_cpu_seconds_total{${workers}}[$__rate_interval])`, '{{instance}}']],
        steps: [
          ['green', null],
          ['yellow', 0.8],
          ['red', 0.95],
        ],
      }),
      timeseriesPanel({
        title: 'Memory per worker',
        description: 'Resident memory of each worker process.',
        unit: units.BytesIEC,
        size: [8, 8],
        queries: [[`process_resident_memory_bytes{${workers}}`, '{{instance}}']],
        steps: [
          ['green', null],
          ['yellow', 1_000_000_000],
        ],
      }),
      timeseriesPanel({
        title: 'Producer: enqueued per second and backlog',
        description:
          'Only while a grab produce runs with --metrics-port. Settled at the door: grabs of sold-out, closed or expired pools, answered without the queue.',
        unit: units.Short,
        size: [24, 8],
        queries: [
          [`sum(${rate('grab_produced_jobs_total')})`, 'enqueued/s'],
          [`sum(${rate('grab_producer_door_settled_total')})`, 'settled at the door/s'],
          [`max(grab_producer_backlog{${selected}})`, 'waiting jobs'],
        ],
      }),
      timeseriesPanel({
        title: 'Queue shards per worker',
        description:
          'How the live workers split the queue shards; a worker at 0 has none (more workers than GRAB_QUEUE_SHARDS).',
        unit: units.Short,
        size: [24, 8],
        queries: [[`grab_queue_shards_consumed{${workers}}`, '{{instance}}']],
        decimals: 0,
      }),
    ],
  });
