/**
 * The CLI's last line of defence: an error that escapes every handler is logged as redacted pino
 * JSON and the process exits with 1. The error is let loose by a module preloaded into a real
 * `grab work` (test/support/escaping-error.ts), as a bug would.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliEnv, grabCli } from '../support/cli.js';

const escapingError = pathToFileURL(
  new URL('../../dist/test/support/escaping-error.js', import.meta.url).pathname,
).href;
const ZK_PASSWORD = 'zkEscaped-5b0f';

function runEscaping(kind: 'rejection' | 'exception'): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', escapingError, grabCli, 'work', '--lock', 'atomic'], {
      env: cliEnv({
        ESCAPE: kind,
        ESCAPE_SECRET: ZK_PASSWORD,
        ZK_AUTH: `fleet:${ZK_PASSWORD}`,
        GRAB_QUEUE: `escape-${randomUUID().slice(0, 8)}`,
      }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('an error that escapes every handler', () => {
  for (const [kind, msg] of [
    ['rejection', 'unhandled rejection'],
    ['exception', 'uncaught exception'],
  ] as const) {
    it(`${msg}: logged as redacted pino JSON, then exit 1`, async () => {
      const { code, stderr } = await runEscaping(kind);
      expect(code, stderr).toBe(1);
      expect(stderr).not.toContain(ZK_PASSWORD);
      const lines = stderr.trim().split('\n');
      const last = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
      expect(last).toMatchObject({
        level: 60,
        name: 'grab',
        msg,
        err: { message: 'escaped, holding [redacted]', command: { name: 'auth', args: ['[redacted]'] } },
      });
    }, 30_000);
  }
});
