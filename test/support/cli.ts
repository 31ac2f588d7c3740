import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { testRedisUrl, testZkConnect } from './env.js';

/** The compiled CLI (`npm run build`), which integration tests run as a process. */
export const grabCli = fileURLToPath(new URL('../../dist/cli/grab.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment every CLI run in tests gets: the run's private servers, quiet logs. */
export const cliEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  REDIS_URL: testRedisUrl(),
  ZK_CONNECT: testZkConnect(),
  LOG_LEVEL: 'warn',
  ...extra,
});

const spawnGrab = (args: string[], extraEnv: Record<string, string>): ChildProcessByStdio<null, Readable, Readable> =>
  spawn(process.execPath, [grabCli, ...args], { env: cliEnv(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });

/** Runs the compiled `grab` CLI to completion. */
export function grab(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnGrab(args, extraEnv);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a long-running `grab` command (work, fleet); stop() sends SIGTERM and waits for the exit code. */
export function startGrab(args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawnGrab(args, extraEnv);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async stop(): Promise<number | null> {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface FirstLineResult {
  code: number | null;
  firstLine: string;
  stderr: string;
  /** From the reader closing the pipe to the command's exit. */
  exitMs: number;
}

/** Runs `grab` into a reader that closes the pipe after the first line, as `grab ... | head -1` does. */
export function grabFirstLine(args: string[], extraEnv: Record<string, string> = {}): Promise<FirstLineResult> {
  return new Promise((resolve, reject) => {
    const child = spawnGrab(args, extraEnv);
    let stdout = '';
    let stderr = '';
    let closedAt = Number.NaN;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('\n')) {
        closedAt = Date.now();
        child.stdout.destroy();
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, firstLine: stdout.split('\n')[0]!, stderr, exitMs: Date.now() - closedAt }),
    );
  });
}

export { campaignCreateArgs } from '../../bench/grab-process.js';
