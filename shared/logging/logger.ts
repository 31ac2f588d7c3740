import { pino, type Logger } from 'pino';

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
  'settings.redisUrl',
  'settings.zkAuth',
];

/** The one logger factory: pino JSON on stderr, so stdout stays free for command output. */
export function createLogger(
  name: string,
  level: string,
  destination: pino.DestinationStream = pino.destination({ fd: 2, sync: false }),
): Logger {
  return pino({ name, level, redact: { paths: redactedPaths, censor: '[redacted]' } }, destination);
}
