/** The command ran but cannot do what was asked (e.g. no such campaign). Exits 1. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}
