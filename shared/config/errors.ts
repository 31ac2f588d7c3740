/** A mistake in how the program was invoked: bad flag, bad setting, bad spec. Exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The command ran but cannot do what was asked (e.g. no such campaign). Exits 1. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}

/** The settings conflict with what the fleet's data already records (e.g. a campaign's lock). Exits 2, without restarts. */
export class SettingConflict extends Error {
  override readonly name = 'SettingConflict';
}
