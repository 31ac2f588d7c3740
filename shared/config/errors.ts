/** A mistake in how the program was invoked: bad flag, bad setting, bad spec. Exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The settings conflict with what the fleet's data already records (e.g. a campaign's lock). Exits 2,
 * without restarts.
 */
export class SettingConflict extends Error {
  override readonly name = 'SettingConflict';
}
