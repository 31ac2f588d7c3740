/** How long a sample taken during a scrape may wait on Redis before the scrape goes on without it. */
const SCRAPE_SAMPLE_DEADLINE_MS = 2000;

/**
 * The promise's value, or undefined once it rejects or the deadline passes: a scrape must
 * neither hang nor fail while Redis is away, so what Redis would have told is left out.
 */
export function scrapeSample<T>(promise: Promise<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), SCRAPE_SAMPLE_DEADLINE_MS);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
