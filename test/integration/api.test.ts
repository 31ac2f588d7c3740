/**
 * `grab serve` against the run's private Redis and ZooKeeper, with a real worker settling the
 * grabs: every route with good input, bad input and no token; the door of the bind address;
 * grabs coalesced into bulk adds and counted once; and no secret in the server's log.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CampaignReport } from '../../producer/campaign-report.js';
import { startApiServer, type ApiServer } from '../support/api-server.js';
import { grab, startGrab } from '../support/cli.js';

vi.setConfig({ testTimeout: 60_000 });

const TOKEN = `tok-${randomUUID()}`;
const WRONG_TOKEN = `wrong-${randomUUID()}`;
const env = { GRAB_QUEUE: `api-${randomUUID().slice(0, 8)}`, GRAB_API_TOKEN: TOKEN };
const newId = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}`;

let api: ApiServer;
let worker: ReturnType<typeof startGrab>;

beforeAll(async () => {
  // trace: every line the server can log, so the secrets check below sees them all.
  api = await startApiServer({ ...env, LOG_LEVEL: 'trace' });
  worker = startGrab(['work', '--concurrency', '20'], env);
});
afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
});

/** A POST with the token, or with `token`, or with none (null). */
const post = (path: string, body: unknown, token: string | null = TOKEN) =>
  api.call('POST', path, { body, ...(token === null ? {} : { token }) });

async function createCampaign(pools = 2, packets = 50) {
  const id = newId('api');
  const spec = {
    id,
    split: 'random',
    pools: Array.from({ length: pools }, (_, i) => ({ id: `p${i + 1}`, amount: '10.00', packets })),
  };
  const created = await post('/v1/campaigns', spec);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return id;
}

describe('campaigns', () => {
  it('creates a campaign from the spec grab campaign create reads, and shows it', async () => {
    const id = newId('api');
    const spec = { id, pools: [{ id: 'red', amount: '88.88', packets: 10 }] };
    const created = await post('/v1/campaigns', spec);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, pools: 1, packets: 10, totalCents: 8888, split: 'random' });
    const again = await post('/v1/campaigns', spec);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('already exists');
    const shown = await api.call('GET', `/v1/campaigns/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id, grabs: { enqueued: 0, pending: 0 } });
    expect(shown.body.pools).toEqual([
      expect.objectContaining({ pool: 'red', totalCents: 8888, remainingCents: 8888, remainingPackets: 10 }),
    ]);
  });

  it('refuses a bad spec with a 400 naming each field and how to fix it, and changes nothing', async () => {
    const id = newId('api');
    const bad = await post('/v1/campaigns', { id, pools: [{ id: 'p1', amount: '1.001', packets: 0 }], extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('body.pools[0].packets: must be a whole number from 1 to 1000000');
    expect(bad.body.message).toContain('body: unknown field "extra"');
    expect(bad.body.issues.map((i: { field: string }) => i.field)).toContain('body.pools[0].packets');
    const notJson = await api.call('POST', '/v1/campaigns', { body: 'not json', token: TOKEN });
    expect(notJson.status).toBe(400);
    expect((await api.call('GET', `/v1/campaigns/${id}`)).status).toBe(404);
    const badId = await api.call('GET', '/v1/campaigns/no:such');
    expect(badId.status).toBe(400);
    expect(badId.body.message).toMatch(/^params\.id: must be 1 to 64 letters/);
  });

  it('refuses a POST without the token, or with a wrong one, and changes nothing', async () => {
    const id = newId('api');
    const spec = { id, pools: [{ id: 'p1', amountCents: 100, packets: 1 }] };
    const without = await post('/v1/campaigns', spec, null);
    expect(without.status).toBe(401);
    expect(without.body.message).toContain('Authorization: Bearer');
    const wrong = await post('/v1/campaigns', spec, WRONG_TOKEN);
    expect(wrong.status).toBe(401);
    expect((await api.call('GET', `/v1/campaigns/${id}`)).status).toBe(404);
    expect((await post(`/v1/campaigns/${id}/grabs`, { user: 'u1' }, null)).status).toBe(401);
  });
});

describe('grabs', () => {
  it('enqueues a grab (202 with its id) and answers the outcome with ?wait once a worker settles it', async () => {
    const id = await createCampaign();
    const accepted = await post(`/v1/campaigns/${id}/grabs`, { user: 'alice', pool: 'p2' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ id: `${id}.1.p2.alice`.replace('.1.', `.${accepted.body.instance}.`) });
    expect(accepted.body).toMatchObject({ campaign: id, pool: 'p2', user: 'alice', outcome: 'pending' });
    const waited = await post(`/v1/campaigns/${id}/grabs?wait=20000`, { user: 'bob' });
    expect(waited.status).toBe(200);
    expect(waited.body.outcome).toBe('granted');
    expect(waited.body.cents).toBeGreaterThan(0);
    // Unnamed, the pool is the distribution's pick: the same for the user every time.
    const again = await post(`/v1/campaigns/${id}/grabs?wait=20000`, { user: 'bob' });
    expect(again.body).toMatchObject({ id: waited.body.id, outcome: 'granted', cents: waited.body.cents });
  });

  it('counts a grab posted many times, at once, once; coalesces concurrent grabs into bulk adds', async () => {
    const id = await createCampaign(2, 500);
    const before = await batchCount();
    const users = Array.from({ length: 300 }, (_, i) => `u${i}`);
    const answers = await Promise.all([...users, ...users].map((user) => post(`/v1/campaigns/${id}/grabs`, { user })));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(300);
    // Requests that arrive in the same turn of the event loop, or while bulk adds are out, share one.
    expect((await batchCount()) - before).toBeLessThan(600);
    const waited = await grab(['wait', '--campaign', id, '--timeout', '40'], env);
    expect(waited.code, waited.stderr).toBe(0);
    const report = JSON.parse((await grab(['report', '--campaign', id, '--json'], env)).stdout) as CampaignReport;
    expect(report.ok, report.violations.join('\n')).toBe(true);
    expect(report.jobs).toMatchObject({ enqueued: 300, finished: 300, pending: 0 });
    expect(report.outcomes.granted).toBe(300);
  });

  it('refuses bad input with a 400 naming the field, unknown campaigns and pools with a 404', async () => {
    const id = await createCampaign();
    const badUser = await post(`/v1/campaigns/${id}/grabs`, { user: 'a b', colour: 'red' });
    expect(badUser.status).toBe(400);
    expect(badUser.body.message).toContain('body.user: must be 1 to 64 letters');
    expect(badUser.body.message).toContain('unknown field "colour"');
    const longWait = await post(`/v1/campaigns/${id}/grabs?wait=60000`, { user: 'u1' });
    expect(longWait.status).toBe(400);
    expect(longWait.body.message).toBe('querystring.wait: must be a whole number from 0 to 30000');
    const noPool = await post(`/v1/campaigns/${id}/grabs`, { user: 'u1', pool: 'p9' });
    expect(noPool.status).toBe(404);
    expect(noPool.body.message).toBe(`campaign "${id}" has no pool "p9"; its pools are p1, p2`);
    expect((await post('/v1/campaigns/nope-campaign/grabs', { user: 'u1' })).status).toBe(404);
    const shown = await api.call('GET', `/v1/campaigns/${id}`);
    expect(shown.body.grabs.enqueued).toBe(0);
  });
});

describe('lookups', () => {
  it("answers what a user got, and a pool's claims in grant order with its luckiest", async () => {
    const id = await createCampaign(1, 5);
    for (const user of ['a', 'b', 'c']) {
      const settled = await post(`/v1/campaigns/${id}/grabs?wait=20000`, { user });
      expect(settled.body.outcome).toBe('granted');
    }
    const found = await api.call('GET', `/v1/campaigns/${id}/users/b`);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ campaign: id, user: 'b', outcomes: { p1: 'granted' } });
    expect(found.body.grants).toEqual([expect.objectContaining({ pool: 'p1' })]);
    const nobody = await api.call('GET', `/v1/campaigns/${id}/users/zed`);
    expect(nobody.body).toMatchObject({ grants: [], outcomes: {} });
    const claims = await api.call('GET', `/v1/campaigns/${id}/pools/p1/claims?limit=2`);
    expect(claims.status).toBe(200);
    expect(claims.body.claims.map((c: { user: string }) => c.user)).toEqual(['a', 'b']);
    expect(claims.body.next).toBe(2);
    const rest = await api.call('GET', `/v1/campaigns/${id}/pools/p1/claims?from=2&limit=2`);
    expect(rest.body).toMatchObject({ claims: [expect.objectContaining({ user: 'c' })], next: null });
    const all = [...claims.body.claims, ...rest.body.claims] as { user: string; cents: number }[];
    const best = Math.max(...all.map((c) => c.cents));
    expect(claims.body.luckiest).toEqual({ user: all.find((c) => c.cents === best)!.user, cents: best });
  });

  it('refuses bad lookups: 400 naming the field, 404 for what does not exist', async () => {
    const id = await createCampaign(1, 5);
    expect((await api.call('GET', `/v1/campaigns/${id}/users/a%20b`)).body.message).toMatch(/^params\.user: /);
    expect((await api.call('GET', `/v1/campaigns/nope-x/users/a`)).status).toBe(404);
    expect((await api.call('GET', `/v1/campaigns/${id}/pools/p7/claims`)).status).toBe(404);
    const badLimit = await api.call('GET', `/v1/campaigns/${id}/pools/p1/claims?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.message).toBe('querystring.limit: must be a whole number from 1 to 10000');
  });
});

describe('operations', () => {
  it('serves /healthz, /readyz, /metrics with bounded labels, and the OpenAPI description', async () => {
    expect(await api.call('GET', '/healthz')).toEqual({ status: 200, body: { ok: true } });
    expect(await api.call('GET', '/readyz')).toEqual({ status: 200, body: { ready: true, checks: { redis: true } } });
    await api.call('GET', '/v1/campaigns/some-campaign-that-is-not');
    const metrics = (await api.call('GET', '/metrics')).body as string;
    expect(metrics).toContain('grab_api_requests_total{route="/v1/campaigns/:id",method="GET",status_class="4xx"}');
    expect(metrics).not.toContain('some-campaign-that-is-not');
    const openapi = await api.call('GET', '/docs/json');
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/v1/campaigns', '/v1/campaigns/{id}', '/v1/campaigns/{id}/grabs']),
    );
    expect(openapi.body.paths['/v1/campaigns/{id}/grabs'].post.security).toEqual([{ bearer: [] }]);
  });

  it('refuses to bind beyond loopback without a token (exit 2), and never logs a token', async () => {
    const refused = await grab(['serve', '--host', '0.0.0.0', '--port', '0'], { ...env, GRAB_API_TOKEN: '' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('GRAB_API_TOKEN is unset');
    const shortToken = await grab(['serve', '--port', '0'], { ...env, GRAB_API_TOKEN: 'short' });
    expect(shortToken.code).toBe(2);
    expect(shortToken.stderr).toContain('invalid setting GRAB_API_TOKEN (value not shown');
    expect(shortToken.stderr).not.toContain('short"');
    // Everything above ran against this server at log level trace.
    await post('/v1/campaigns', { id: 'x' }, WRONG_TOKEN);
    const log = api.output();
    expect(log).toContain('serving the API');
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(WRONG_TOKEN);
  });
});

async function batchCount(): Promise<number> {
  const metrics = (await api.call('GET', '/metrics')).body as string;
  return Number(/^grab_api_intake_batch_size_count (\d+)/m.exec(metrics)?.[1] ?? 0);
}
