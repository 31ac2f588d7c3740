/** The compiled `grab` CLI as users run it: `npm test` builds dist/ before vitest starts. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { settingDefinitions } from '../../shared/config/settings.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = fileURLToPath(new URL('../../dist/cli/grab.js', import.meta.url));
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function grab(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    // Settings come from the environment: keep the caller's own out of the way.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Whether `grab --help` lists the command yet; the commands land one by one. */
const hasCommand = (name: string) => new RegExp(`^ {2}${name} `, 'm').test(grab(['--help']).stdout);

describe('grab CLI', () => {
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first (npm test does)`);
  });

  it('--version prints the package version', () => {
    const r = grab(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('--help exits 0 and lists every setting with its variable and flag', () => {
    const r = grab(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: grab <command>');
    for (const d of Object.values(settingDefinitions)) {
      expect(r.stdout).toContain(d.env);
      expect(r.stdout).toContain(`--${d.flag}`);
    }
  });

  it('an unknown command exits 2 with usage on stderr', () => {
    const r = grab(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "no-such-command"');
    expect(r.stderr).toContain('Usage: grab <command>');
    expect(r.stdout).toBe('');
  });

  it('an unknown flag exits 2 with usage on stderr', (ctx) => {
    if (!hasCommand('lock-bench')) ctx.skip('grab lock-bench is not registered yet');
    const r = grab(['lock-bench', '--nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--nope');
    expect(r.stderr).toContain('Usage:');
  });

  it('a bad setting exits 2 naming the setting and the accepted range', (ctx) => {
    // Settings are validated when a command runs, before it does anything.
    if (!hasCommand('lock-bench')) ctx.skip('grab lock-bench is not registered yet');
    const r = grab(['lock-bench'], { ZK_SESSION_TIMEOUT_MS: 'abc' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ZK_SESSION_TIMEOUT_MS');
    expect(r.stderr).toContain('from 1000 to 120000');
  });
});
