/** Waiting in tests: a plain pause, and polling until a condition holds. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until the predicate holds, or fails with the message after the timeout. */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  message: string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`timed out: ${message}`);
    await sleep(20);
  }
}
