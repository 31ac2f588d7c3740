/**
 * Counts handlers still running. A client that gives up (a load generator at its deadline)
 * closes its connection, and the server's close no longer waits for that request: the server
 * waits here instead before it closes the connections those handlers use.
 */
export class HandlersInFlight {
  private running = 0;

  async run<T>(handler: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await handler();
    } finally {
      this.running--;
    }
  }

  /** Resolves once no handler runs, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.running > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
