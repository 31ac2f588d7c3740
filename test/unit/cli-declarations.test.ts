import { CommanderError, type CommandUnknownOpts, type OptionValues } from '@commander-js/extra-typings';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commands } from '../../cli/commands.js';
import { grabProgram } from '../../cli/program.js';
import { leafCommands } from '../../cli/readme-tables.js';
import type { GrabCommand } from '../../shared/cli/command.js';
import { settingsOf } from '../../shared/cli/setting-flags.js';
import type { Settings } from '../../shared/config/settings.js';

/** Parses a command line as `grab` would, in process, without running the command. */
async function parse(args: string[]): Promise<{ command: GrabCommand; opts: OptionValues; settings: Settings }> {
  let parsed: { command: GrabCommand; opts: OptionValues; cli: CommandUnknownOpts } | undefined;
  const program = grabProgram(commands, async (command, opts, cli) => {
    parsed = { command, opts, cli };
  });
  const quiet = (c: CommandUnknownOpts): void => {
    c.configureOutput({ writeErr: () => {}, writeOut: () => {} });
    c.commands.forEach(quiet);
  };
  quiet(program);
  await program.parseAsync(args, { from: 'user' });
  return { command: parsed!.command, opts: parsed!.opts, settings: settingsOf(parsed!.cli) };
}

const refusal = (args: string[]) =>
  parse(args).then(
    () => undefined,
    (err: unknown) => err,
  );

afterEach(() => vi.unstubAllEnvs());

describe('the command declarations', () => {
  const leaves = leafCommands(grabProgram(commands, async () => {}));

  it('make one commander command per registered command', () => {
    expect([...leaves.keys()]).toEqual(commands.map((c) => c.name));
  });

  it('give every default a value its own flag accepts', () => {
    for (const [name, leaf] of leaves) {
      for (const option of leaf.options) {
        if (option.defaultValue === undefined || option.envVar !== undefined || !option.parseArg) continue;
        expect(option.parseArg(String(option.defaultValue), undefined), `${name} ${option.long}`).toEqual(
          option.defaultValue,
        );
      }
    }
  });

  it('give grab fleet every flag of grab work, the same way', () => {
    const flags = (name: string) =>
      new Map(leaves.get(name)!.options.map((o) => [o.long, [o.flags, o.description, o.defaultValue]]));
    const fleet = flags('fleet');
    for (const [flag, declared] of flags('work')) expect(fleet.get(flag), flag).toEqual(declared);
  });
});

describe('parsing', () => {
  it('types and validates the flags, with their defaults', async () => {
    const { command, opts } = await parse(['work', '--concurrency', '5', '--lock', 'redis']);
    expect(command.name).toBe('work');
    expect(opts).toMatchObject({ concurrency: 5, lock: 'redis', maxBatch: 64, lockRetainMs: 30_000, graceMs: 10_000 });
    expect(opts.affinity).toBeUndefined();
    expect(opts.seed).toBeUndefined();
  });

  it('reads two-word commands and repeatable flags', async () => {
    const { command, opts } = await parse([
      'bench',
      'e2e',
      '--strategy',
      'zk',
      '--strategy',
      'zk --max-batch 1',
      '--scale',
      '0.5',
    ]);
    expect(command.name).toBe('bench e2e');
    expect(opts).toMatchObject({ strategy: ['zk', 'zk --max-batch 1'], scale: 0.5, workers: 2 });
    expect(opts.scenario).toBeUndefined();
  });

  it('refuses a bad value naming the flag and what it accepts', async () => {
    const err = await refusal(['produce', '--campaign', 'c', '--users', '0']);
    expect(err).toBeInstanceOf(CommanderError);
    expect((err as CommanderError).code).toBe('commander.invalidArgument');
    expect((err as CommanderError).message).toContain(
      "option '--users <n>' argument '0' is invalid. must be a whole number from 1 to 100000000",
    );
  });

  it('takes a setting from its flag over its variable over its default', async () => {
    expect((await parse(['campaign', 'list'])).settings.queue).toBe('grab');
    vi.stubEnv('GRAB_QUEUE', 'from-env');
    expect((await parse(['campaign', 'list'])).settings.queue).toBe('from-env');
    expect((await parse(['campaign', 'list', '--queue', 'from-flag'])).settings.queue).toBe('from-flag');
  });

  it('names where a bad setting came from, without a secret value', async () => {
    vi.stubEnv('ZK_SESSION_TIMEOUT_MS', 'soon');
    await expect(parse(['campaign', 'list'])).rejects.toThrow('invalid setting ZK_SESSION_TIMEOUT_MS="soon"');
    vi.stubEnv('ZK_AUTH', 'fleet pw-91c2');
    await expect(parse(['campaign', 'list', '--zk-session-timeout-ms', '5000'])).rejects.toThrow(
      /^invalid setting ZK_AUTH \(value not shown/,
    );
  });
});
