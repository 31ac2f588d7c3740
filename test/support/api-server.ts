import { vi } from 'vitest';
import { startGrab } from './cli.js';

export type ApiServer = ReturnType<typeof startGrab> & {
  url: string;
  /** A JSON request; `token` goes into the Authorization header as a bearer token. */
  call(method: string, path: string, options?: { body?: unknown; token?: string }): Promise<ApiAnswer>;
};

export interface ApiAnswer {
  status: number;
  body: any;
}

/** Starts `grab serve` on a free loopback port and waits for the line that names its URL. */
export async function startApiServer(env: Record<string, string>, args: string[] = []): Promise<ApiServer> {
  const server = startGrab(['serve', '--port', '0', ...args], env);
  const url = await vi.waitFor(
    () => {
      if (server.child.exitCode !== null) throw new Error(`grab serve exited: ${server.output()}`);
      const found = /serving the API at (http:\/\/\S+)/.exec(server.output())?.[1];
      if (!found) throw new Error('not serving yet');
      return found;
    },
    { timeout: 30_000, interval: 100 },
  );
  return {
    ...server,
    url,
    async call(method, path, { body, token } = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON (metrics, HTML): the text as it is.
      }
      return { status: response.status, body: parsed };
    },
  };
}
