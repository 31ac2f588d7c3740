/** The compiled `grab` CLI as users run it: `npm test` builds dist/ before vitest starts. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { settingDefinitions } from '../../shared/config/settings.js';
import { grabCli } from '../support/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

function grab(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [grabCli, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    // Settings come from the environment: keep the caller's own out of the way.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('grab CLI', () => {
  beforeAll(() => {
    if (!existsSync(grabCli)) throw new Error(`${grabCli} is missing: run "npm run build" first (npm test does)`);
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

  it('with no arguments prints the help and exits 2', () => {
    const r = grab([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Usage: grab <command>');
  });

  it('--help lists every command, two-word ones by their full words', () => {
    const r = grab(['--help']);
    const names = [
      'campaign create',
      'campaign list',
      'campaign show',
      'campaign delete',
      'produce',
      'work',
      'fleet',
      'wait',
      'report',
      'redrive',
      'export',
    ];
    for (const name of [...names, 'bench e2e', 'bench enqueue', 'bench million', 'lock-bench']) {
      expect(r.stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
    }
  });

  it("a command's --help exits 0 with its flags, defaults, the settings' flags and an example", () => {
    const r = grab(['campaign', 'delete', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: grab campaign delete --id <id> [flags]');
    expect(r.stdout).toContain('--force');
    expect(r.stdout).toContain('env: REDIS_URL');
    expect(r.stdout).toContain('grab campaign delete --id new-year');
    expect(grab(['work', '--help']).stdout).toMatch(
      /--max-batch <n>\s+grabs of one pool settled under one lock\s+acquisition \(default: 64\)/,
    );
  });

  it('grab fleet takes every grab work flag', () => {
    const flags = (args: string[]) => [...grab(args).stdout.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]);
    const fleet = flags(['fleet', '--help']);
    expect(fleet).toContain('--workers');
    for (const f of flags(['work', '--help'])) expect(fleet).toContain(f);
  });

  it('an unknown command exits 2 with usage on stderr', () => {
    const r = grab(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'no-such-command'");
    expect(r.stderr).toContain('Usage: grab <command>');
    expect(r.stdout).toBe('');
    const family = grab(['bench', 'fastest']);
    expect(family.code).toBe(2);
    expect(family.stderr).toContain("grab bench: unknown command 'fastest'");
  });

  it('a family without its command (grab campaign) exits 2 listing its commands', () => {
    const r = grab(['campaign']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('campaign create');
  });

  it('an unknown flag exits 2 naming it, and where the flags are listed', () => {
    const r = grab(['lock-bench', '--nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("grab lock-bench: unknown option '--nope'");
    expect(r.stderr).toContain('grab lock-bench --help');
  });

  it('an invalid value exits 2 naming the flag and what it accepts', () => {
    const r = grab(['lock-bench', '--contenders', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "option '--contenders <n>' argument '0' is invalid: must be a whole number from 1 to 512",
    );
    const choice = grab(['work', '--lock', 'zookeeper']);
    expect(choice.code).toBe(2);
    expect(choice.stderr).toMatch(/--lock <strategy>.*zookeeper.*zk, zk-herd, redis, none, atomic/);
  });

  it('lock-bench --driver accepts curator, and checks its other flags before starting Java', () => {
    const unknown = grab(['lock-bench', '--driver', 'zookeeper']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--driver <name>.*zookeeper.*zk, zk-herd, curator/);
    for (const [flag, value, accepts] of [
      ['--contenders', '0', 'from 1 to 512'],
      ['--locks', '10001', 'from 1 to 10000'],
      ['--seconds', 'ten', 'from 1 to 3600'],
    ] as const) {
      const r = grab(['lock-bench', '--driver', 'curator', flag, value]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`option '${flag} <`);
      expect(r.stderr).toContain(accepts);
      expect(r.stderr).not.toContain('curator-lock-bench.sh');
      expect(r.stdout).toBe('');
    }
    const setting = grab(['lock-bench', '--driver', 'curator'], { ZK_SESSION_TIMEOUT_MS: 'abc' });
    expect(setting.code).toBe(2);
    expect(setting.stderr).toContain('ZK_SESSION_TIMEOUT_MS');
    expect(setting.stderr).not.toContain('curator-lock-bench.sh');
  });

  it('a missing required flag, or an extra argument, exits 2 naming it', () => {
    const missing = grab(['wait']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--campaign <id>' not specified");
    const extra = grab(['campaign', 'list', 'extra']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('too many arguments');
  });

  it('a bad setting exits 2 naming the setting and the accepted range', () => {
    // Settings are validated when a command runs, before it does anything.
    const r = grab(['lock-bench'], { ZK_SESSION_TIMEOUT_MS: 'abc' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ZK_SESSION_TIMEOUT_MS');
    expect(r.stderr).toContain('from 1000 to 120000');
  });

  it("a setting's flag wins over its variable", () => {
    const r = grab(['lock-bench', '--zk-session-timeout-ms', '5'], { ZK_SESSION_TIMEOUT_MS: '4000' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid setting --zk-session-timeout-ms="5"');
  });

  it('never repeats a value that may hold a password', () => {
    const secret = 'pw-4a7e';
    for (const [args, env] of [
      [['campaign', 'list'], { REDIS_URL: `http://:${secret}@redis` }],
      [['campaign', 'list', '--redis-url', `http://:${secret}@redis`], {}],
      [['campaign', 'list', '--zk-auth', `fleet ${secret}`], {}],
      [['campaign', 'list', `--redis-ur=redis://:${secret}@redis`], {}],
    ] as const) {
      const r = grab([...args], env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).not.toContain(secret);
    }
  });
});
