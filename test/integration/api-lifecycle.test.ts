/**
 * `grab serve`'s close, pause and resume routes, and its door: a grab for a sold-out or closed
 * pool is answered at once without being enqueued, and still counted (enqueued and settled), so
 * `grab report` covers every grab the API accepted.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CampaignReport } from '../../producer/campaign-report.js';
import { startApiServer, type ApiServer } from '../support/api-server.js';
import { grab, startGrab } from '../support/cli.js';

vi.setConfig({ testTimeout: 60_000 });

const TOKEN = `tok-${randomUUID()}`;
const env = { GRAB_QUEUE: `apilc-${randomUUID().slice(0, 8)}`, GRAB_API_TOKEN: TOKEN };
const newId = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}`;

let api: ApiServer;
let worker: ReturnType<typeof startGrab>;

beforeAll(async () => {
  api = await startApiServer(env);
  worker = startGrab(['work', '--concurrency', '20'], env);
});
afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
});

const post = (path: string, body?: unknown, token: string | null = TOKEN) =>
  api.call('POST', path, { ...(body === undefined ? {} : { body }), ...(token === null ? {} : { token }) });

async function createCampaign(packets: number) {
  const id = newId('lc');
  const created = await post('/v1/campaigns', { id, pools: [{ id: 'p1', amountCents: packets * 100, packets }] });
  expect(created.status).toBe(201);
  return id;
}

async function report(id: string): Promise<CampaignReport> {
  return JSON.parse((await grab(['report', '--campaign', id, '--json'], env)).stdout) as CampaignReport;
}

/** Grabs answered at the door so far, by outcome. */
async function doorCount(outcome: string): Promise<number> {
  const metrics = (await api.call('GET', '/metrics')).body as string;
  return Number(
    new RegExp(`^grab_api_door_settled_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0,
  );
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lifecycle routes', () => {
  it('closes a campaign, refunding each pool once; a closed campaign cannot be paused or resumed', async () => {
    const id = await createCampaign(10);
    expect((await post(`/v1/campaigns/${id}/grabs?wait=20000`, { user: 'a' })).body.outcome).toBe('granted');
    const closed = await post(`/v1/campaigns/${id}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ campaign: id, action: 'close', state: 'closed', changed: true });
    expect(closed.body.refunds).toEqual([expect.objectContaining({ pool: 'p1', packets: 9 })]);
    const again = await post(`/v1/campaigns/${id}/close`);
    expect(again.body).toMatchObject({ state: 'closed', changed: false, refunds: [] });
    const paused = await post(`/v1/campaigns/${id}/pause`);
    expect(paused.status).toBe(409);
    expect(paused.body.message).toContain('cannot be paused');
    expect((await post(`/v1/campaigns/${id}/resume`)).status).toBe(409);
  });

  it('refuses without the token, an unknown campaign with a 404, a bad id with a 400', async () => {
    const id = await createCampaign(5);
    expect((await post(`/v1/campaigns/${id}/close`, undefined, null)).status).toBe(401);
    expect((await api.call('GET', `/v1/campaigns/${id}`)).body.pools[0].remainingPackets).toBe(5);
    expect((await post('/v1/campaigns/no-such-campaign/pause')).status).toBe(404);
    const bad = await post('/v1/campaigns/bad:id/resume');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^params\.id: /);
  });

  it('pauses: grabs wait; resumes: they settle', async () => {
    const id = await createCampaign(10);
    expect((await post(`/v1/campaigns/${id}/pause`)).body).toMatchObject({ state: 'paused', changed: true });
    const waiting = await post(`/v1/campaigns/${id}/grabs?wait=1500`, { user: 'p' });
    expect(waiting.status).toBe(202);
    expect(waiting.body.outcome).toBe('pending');
    expect((await post(`/v1/campaigns/${id}/resume`)).body).toMatchObject({ state: 'open', changed: true });
    const settled = await post(`/v1/campaigns/${id}/grabs?wait=20000`, { user: 'p' });
    expect(settled.body).toMatchObject({ id: waiting.body.id, outcome: 'granted' });
  });
});

describe('the door', () => {
  it("answers a closed campaign's grab at once as expired, without the queue, and counts it", async () => {
    const id = await createCampaign(10);
    await post(`/v1/campaigns/${id}/close`);
    const before = await doorCount('expired');
    const answered = await post(`/v1/campaigns/${id}/grabs`, { user: 'late' });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ user: 'late', outcome: 'expired' });
    expect((await doorCount('expired')) - before).toBe(1);
    const again = await post(`/v1/campaigns/${id}/grabs`, { user: 'late' });
    expect(again.body).toMatchObject({ id: answered.body.id, outcome: 'expired' });
    const r = await report(id);
    expect(r.violations).toEqual([]);
    expect(r.jobs).toMatchObject({ enqueued: 1, finished: 1, pending: 0 });
    expect(r.outcomes.expired).toBe(1);
  });

  it("answers a sold-out pool's grabs at once; a holder gets their grant back", async () => {
    const id = await createCampaign(2);
    const a = await post(`/v1/campaigns/${id}/grabs?wait=20000`, { user: 'a' });
    expect((await post(`/v1/campaigns/${id}/grabs?wait=20000`, { user: 'b' })).body.outcome).toBe('granted');
    // The door asks a pool it found open again after 100 ms.
    await pause(300);
    const before = await doorCount('sold_out');
    const late = await post(`/v1/campaigns/${id}/grabs`, { user: 'c' });
    expect(late.status).toBe(200);
    expect(late.body.outcome).toBe('sold_out');
    expect((await doorCount('sold_out')) - before).toBe(1);
    const holder = await post(`/v1/campaigns/${id}/grabs`, { user: 'a' });
    expect(holder.status).toBe(200);
    expect(holder.body).toMatchObject({ outcome: expect.stringMatching(/^(granted|duplicate)$/), cents: a.body.cents });
    const r = await report(id);
    expect(r.violations).toEqual([]);
    expect(r.jobs).toMatchObject({ enqueued: 3, finished: 3, pending: 0 });
    expect(r.outcomes).toMatchObject({ granted: 2, sold_out: 1 });
  });
});
