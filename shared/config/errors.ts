/** A mistake in how the program was invoked: bad flag, bad setting, bad spec. Exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
