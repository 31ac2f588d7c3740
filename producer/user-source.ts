import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsageError } from '../shared/config/errors.js';
import { userIdSchema } from '../shared/queue/grab-job.js';

/** Users u0..u{n-1}: the same ids on every run, so a re-run enqueues the same grabs. */
export async function* generatedUsers(count: number): AsyncGenerator<string> {
  for (let i = 0; i < count; i++) yield `u${i}`;
}

/** One user id per line, streamed; blank lines are skipped, a bad id stops with its line number. */
export async function* usersFromFile(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    const user = line.trim();
    if (user === '') continue;
    if (!userIdSchema.safeParse(user).success) {
      throw new UsageError(
        `${path}:${lineNumber}: user id "${user.slice(0, 80)}" must be 1 to 64 letters, digits, "_" or "-"`,
      );
    }
    yield user;
  }
}

export async function countUsers(users: AsyncIterable<string>): Promise<number> {
  let n = 0;
  for await (const _ of users) n++;
  return n;
}
