/** Logged errors are scrubbed at the serializer: whatever an error carries, no credential reaches a log line. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { errorSerializer, scrubText } from '../../shared/logging/error-serializer.js';
import { createLogger, settingSecrets } from '../../shared/logging/logger.js';

const REDIS_PASSWORD = 'redisPw-4e1d';
const ZK_AUTH = 'fleet:zkPw-77c3';
const secrets = settingSecrets({ redisUrl: `redis://grab:${REDIS_PASSWORD}@redis.internal:6379`, zkAuth: ZK_AUTH });

/** What a logger with the settings' secrets writes for one error, as text and as parsed JSON. */
function logged(
  err: unknown,
  secretsGiven: readonly string[] = secrets,
): { line: string; err: Record<string, unknown> } {
  let line = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      line += chunk.toString();
      done();
    },
  });
  createLogger('test', 'info', { destination, secrets: secretsGiven }).error({ err }, 'failed');
  return { line, err: (JSON.parse(line) as { err: Record<string, unknown> }).err };
}

/** An ioredis error after a refused reconnect: ReplyError with the HELLO it answered. */
function refusedHello(password = REDIS_PASSWORD): Error {
  return Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
    command: { name: 'hello', args: ['3', 'AUTH', 'grab', password] },
  });
}

describe('error serializer', () => {
  it('redacts what follows AUTH in a HELLO an error carries, and keeps the rest of the error', () => {
    const { line, err } = logged(refusedHello(), []);
    expect(line).not.toContain(REDIS_PASSWORD);
    expect(err).toMatchObject({
      type: 'Error',
      message: 'WRONGPASS invalid username-password pair or user is disabled.',
      command: { name: 'hello', args: ['3', 'AUTH', '[redacted]', '[redacted]'] },
    });
    expect(err.stack).toContain('WRONGPASS');
  });

  it('redacts the arguments of the other credential-bearing commands', () => {
    const command = (name: string, args: unknown[]) =>
      logged(Object.assign(new Error('ERR'), { command: { name, args } }), []).err.command;
    expect(command('auth', ['grab', 'pw1'])).toEqual({ name: 'auth', args: ['[redacted]', '[redacted]'] });
    expect(command('AUTH', ['pw1'])).toEqual({ name: 'AUTH', args: ['[redacted]'] });
    expect(command('acl', ['SETUSER', 'grab', 'on', '>pw2'])).toEqual({
      name: 'acl',
      args: ['SETUSER', '[redacted]', '[redacted]', '[redacted]'],
    });
    expect(command('config', ['SET', 'requirepass', 'pw3'])).toEqual({
      name: 'config',
      args: ['SET', 'requirepass', '[redacted]'],
    });
    expect(command('migrate', ['h', '6379', '', '0', '5000', 'AUTH2', 'grab', 'pw4', 'KEYS', 'k'])).toEqual({
      name: 'migrate',
      args: ['h', '6379', '', '0', '5000', 'AUTH2', '[redacted]', '[redacted]', '[redacted]', '[redacted]'],
    });
    expect(command('get', ['grab:campaign:c1'])).toEqual({ name: 'get', args: ['grab:campaign:c1'] });
  });

  it('redacts the password of any URL in any string of the error, whatever the scheme', () => {
    const err = Object.assign(
      new Error('cannot reach redis://grab:pw5@10.0.0.1:6379/0 nor rediss://:pw6@redis.internal:6380'),
      {
        address: 'redis+sentinel://admin:pw7@sentinel:26379',
        endpoints: ['http://ops:pw8@example.org/path', 'redis://no-credentials:6379'],
      },
    );
    const { line, err: out } = logged(err, []);
    for (const pw of ['pw5', 'pw6', 'pw7', 'pw8']) expect(line).not.toContain(pw);
    expect(out.message).toBe(
      'cannot reach redis://grab:[redacted]@10.0.0.1:6379/0 nor rediss://:[redacted]@redis.internal:6380',
    );
    expect(out.address).toBe('redis+sentinel://admin:[redacted]@sentinel:26379');
    expect(out.endpoints).toEqual(['http://ops:[redacted]@example.org/path', 'redis://no-credentials:6379']);
  });

  it(
    'replaces the known secrets (REDIS_URL password, ZK_AUTH) wherever ' + 'they appear, message and stack included',
    () => {
      const err = Object.assign(new Error(`digest ${ZK_AUTH} refused; tried ${REDIS_PASSWORD} too`), {
        detail: { auth: ZK_AUTH.split(':')[1], note: `password=${REDIS_PASSWORD}` },
      });
      const { line, err: out } = logged(err);
      expect(line).not.toContain(REDIS_PASSWORD);
      expect(line).not.toContain('zkPw-77c3');
      expect(out.message).toBe('digest [redacted] refused; tried [redacted] too');
      expect(out.stack).toContain('digest [redacted] refused');
    },
  );

  it('knows a percent-encoded REDIS_URL password in both forms', () => {
    const known = settingSecrets({ redisUrl: 'redis://:p%40ss%2Fw0rd@127.0.0.1:6379', zkAuth: undefined });
    expect(known).toEqual(['p%40ss%2Fw0rd', 'p@ss/w0rd']);
    expect(logged(new Error('sent AUTH p@ss/w0rd'), known).err.message).toBe('sent AUTH [redacted]');
  });

  it('scrubs causes, the errors of an AggregateError, and errors nested in what an error carries', () => {
    const cause = Object.assign(new Error(`connect failed for redis://:${REDIS_PASSWORD}@h:6379`), {
      command: { name: 'auth', args: ['pw9'] },
    });
    const aggregate = new AggregateError(
      [refusedHello('pw10'), new Error('second', { cause: refusedHello('pw11') })],
      'all nodes failed',
      { cause },
    );
    const wrapped = Object.assign(new Error('batch failed'), {
      lastNodeError: refusedHello('pw12'),
      attempts: [{ err: refusedHello('pw13') }],
    });
    for (const err of [aggregate, wrapped]) {
      const { line } = logged(err);
      for (const pw of [REDIS_PASSWORD, 'pw9', 'pw10', 'pw11', 'pw12', 'pw13']) expect(line).not.toContain(pw);
    }
    const { err: out } = logged(aggregate);
    expect(out.message).toContain('all nodes failed: connect failed for redis://:[redacted]@h:6379');
    expect((out.aggregateErrors as { command?: unknown }[])[0]!.command).toEqual({
      name: 'hello',
      args: ['3', 'AUTH', '[redacted]', '[redacted]'],
    });
    expect(logged(wrapped).err.lastNodeError).toMatchObject({
      message: expect.stringContaining('WRONGPASS'),
      command: { args: ['3', 'AUTH', '[redacted]', '[redacted]'] },
    });
  });

  it('survives circular errors and whatever is logged as err, and never changes the error itself', () => {
    const err = refusedHello() as Error & { self?: unknown; ring?: unknown[] };
    err.ring = [err];
    const { line } = logged(err);
    expect(line).not.toContain(REDIS_PASSWORD);
    expect((err as unknown as { command: { args: string[] } }).command.args[3]).toBe(REDIS_PASSWORD);
    expect(logged(`plain string with redis://u:${REDIS_PASSWORD}@h`).err).toBe(
      'plain string with redis://u:[redacted]@h',
    );
    expect(logged({ command: { name: 'auth', args: ['pw14'] } }).line).not.toContain('pw14');
    expect(errorSerializer([])(undefined)).toBeUndefined();
  });

  it('applies to an error logged as the first argument, and in child loggers', () => {
    let out = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    const logger = createLogger('test', 'info', { destination, secrets });
    logger.error(refusedHello());
    logger.child({ shard: 3 }).warn({ err: refusedHello() }, 'child');
    expect(out.trim().split('\n')).toHaveLength(2);
    expect(out).not.toContain(REDIS_PASSWORD);
    expect(out).toContain('WRONGPASS');
  });

  it('scrubText leaves text without credentials as it is', () => {
    expect(scrubText('ECONNREFUSED 127.0.0.1:6379 (redis://127.0.0.1:6379)', secrets)).toBe(
      'ECONNREFUSED 127.0.0.1:6379 (redis://127.0.0.1:6379)',
    );
  });
});
