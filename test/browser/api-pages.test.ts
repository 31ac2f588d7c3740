/**
 * The API's pages as a person sees them, in headless Chromium (Debian's, driven by
 * playwright-core): the OpenAPI UI at /docs, and the read-only queue board at /queues with every
 * shard and a rejected grab's reason. Screenshots go to test-results/ (git-ignored). Chromium
 * missing is a failure, not a skip: `scripts/services.sh install --with-chromium` installs it.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CampaignReport } from '../../producer/campaign-report.js';
import { shardQueueName } from '../../shared/queue/queue-shards.js';
import { ShardedQueue } from '../../shared/queue/sharded-queue.js';
import { startApiServer, type ApiServer } from '../support/api-server.js';
import { grab, startGrab } from '../support/cli.js';
import { testRedisUrl } from '../support/env.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const CHROMIUM = '/usr/bin/chromium';
const SHARDS = 4;
const screenshots = new URL('../../test-results/', import.meta.url).pathname;
const queueName = `ui-${randomUUID().slice(0, 8)}`;
const env = { GRAB_QUEUE: queueName, GRAB_QUEUE_SHARDS: String(SHARDS) };
const campaign = `ui-${randomUUID().slice(0, 8)}`;

let api: ApiServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  [api, browser] = await Promise.all([
    startApiServer(env),
    chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] }),
  ]);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

describe('the API in a browser', () => {
  it('shows the OpenAPI description at /docs, every route in it', async () => {
    await page.goto(`${api.url}/docs`);
    await page.getByText('grab fleet API').first().waitFor();
    for (const path of ['/v1/campaigns', '/v1/campaigns/{id}/grabs', '/v1/campaigns/{id}/users/{user}'])
      await page.locator('.opblock-summary-path', { hasText: path }).first().waitFor();
    await page.screenshot({ path: `${screenshots}api-docs.png`, fullPage: true });
  });

  it('shows every queue shard at /queues, read-only, with a rejected grab and its reason', async () => {
    const created = await api.call('POST', '/v1/campaigns', {
      body: { id: campaign, pools: [{ id: 'p1', amountCents: 1000, packets: 10 }] },
    });
    expect(created.status).toBe(201);
    const accepted = await api.call('POST', `/v1/campaigns/${campaign}/grabs`, { body: { user: 'alice' } });
    expect(accepted.status).toBe(202);
    // The API refuses a pool the campaign lacks, so this grab goes in as another producer could
    // have sent it: the worker rejects it, and BullMQ keeps it failed with the reason.
    const redis = new Redis(testRedisUrl());
    const queue = await ShardedQueue.open(queueName, SHARDS, redis);
    const rejectedJob = `${campaign}.${accepted.body.instance}.no-such-pool.bob`;
    const data = { campaign, instance: accepted.body.instance, pool: 'no-such-pool', user: 'bob' };
    await queue.addBulk([{ name: 'grab', data, opts: { jobId: rejectedJob, attempts: 1 } }]);
    const shard = queue.shardFor(data).name;
    await queue.close();
    redis.disconnect();

    const worker = startGrab(['work', '--concurrency', '5'], env);
    try {
      await vi.waitFor(
        async () => {
          const report = JSON.parse(
            (await grab(['report', '--campaign', campaign, '--json'], env)).stdout,
          ) as CampaignReport;
          expect(report.outcomes).toMatchObject({ granted: 1, rejected: 1 });
        },
        { timeout: 40_000, interval: 500 },
      );
    } finally {
      await worker.stop();
    }

    await page.goto(`${api.url}/queues`);
    for (let i = 0; i < SHARDS; i++)
      await page.getByText(shardQueueName(queueName, i), { exact: true }).first().waitFor();
    await page.screenshot({ path: `${screenshots}queues.png`, fullPage: true });

    await page.goto(`${api.url}/queues/queue/${encodeURIComponent(shard)}?status=failed`);
    await page.getByText(rejectedJob).first().waitFor();
    await page
      .getByText(/rejected: unknown pool "no-such-pool"/)
      .first()
      .waitFor();
    // Read-only: no button that retries, cleans or adds jobs.
    expect(await page.getByRole('button', { name: /retry|clean|add job|promote/i }).count()).toBe(0);
    await page.screenshot({ path: `${screenshots}queues-rejected.png`, fullPage: true });
  });
});
