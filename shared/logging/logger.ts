import { pino, type Logger } from 'pino';
import type { Settings } from '../config/settings.js';
import { errorSerializer, REDACTED, urlPassword } from './error-serializer.js';

export type { Logger };

/** Paths whose values never reach a log line: credentials in URLs, auth strings, passwords. */
export const redactedPaths = [
  'password',
  '*.password',
  'redisUrl',
  '*.redisUrl',
  'zkAuth',
  '*.zkAuth',
  'auth',
  '*.auth',
  'apiToken',
  '*.apiToken',
  'settings.redisUrl',
  'settings.zkAuth',
  'settings.apiToken',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
];

export interface LoggerOptions {
  /** Where the JSON lines go: stderr by default, so stdout stays free for command output. */
  destination?: pino.DestinationStream;
  /** Values no logged error may show, wherever they appear in it (see settingSecrets). */
  secrets?: readonly string[];
}

/**
 * The one logger factory: pino JSON. Errors go under `err`, where the serializer scrubs them
 * (shared/logging/error-serializer.ts); other fields are covered by the redact paths.
 */
export function createLogger(name: string, level: string, { destination, secrets = [] }: LoggerOptions = {}): Logger {
  return pino(
    { name, level, redact: { paths: redactedPaths, censor: REDACTED }, serializers: { err: errorSerializer(secrets) } },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/**
 * The password of REDIS_URL, as written and decoded, ZK_AUTH's digest credentials whole and their
 * password, and the API's bearer token.
 */
export function settingSecrets({
  redisUrl,
  zkAuth,
  apiToken,
}: Pick<Settings, 'redisUrl' | 'zkAuth'> & Partial<Pick<Settings, 'apiToken'>>): string[] {
  const secrets: string[] = [];
  const password = urlPassword(redisUrl);
  if (password) {
    secrets.push(password);
    try {
      secrets.push(decodeURIComponent(password));
    } catch {
      // Not percent-encoded validly: ioredis then uses it as written, which is already listed.
    }
  }
  if (zkAuth) secrets.push(zkAuth, zkAuth.slice(zkAuth.indexOf(':') + 1));
  if (apiToken) secrets.push(apiToken);
  return secrets;
}

/** A command's logger: its level and the secrets its errors must not show both come from the settings. */
export function settingsLogger(
  name: string,
  settings: Pick<Settings, 'logLevel' | 'redisUrl' | 'zkAuth'> & Partial<Pick<Settings, 'apiToken'>>,
): Logger {
  return createLogger(name, settings.logLevel, { secrets: settingSecrets(settings) });
}
