import { Command, Help, type CommandUnknownOpts, type OptionValues } from '@commander-js/extra-typings';
import type { GrabCommand } from '../shared/cli/command.js';
import { addSettingFlags } from '../shared/cli/setting-flags.js';
import { settingDefinitions } from '../shared/config/settings.js';
import { packageVersion } from '../shared/cli/package-info.js';

/** Runs a command once its flags are parsed; `cli` is its commander command, which holds the settings' flags. */
export type Runner = (command: GrabCommand, opts: OptionValues, cli: CommandUnknownOpts) => Promise<void>;

const SUMMARY = 'grab: hands out red packets from a queue-driven worker fleet without overspending a pool.';

/**
 * Commander's refusals, prefixed with the command instead of "error:". The value after `=` of an
 * unknown flag may be a password (`--redis-ur=redis://:pw@host`): it is never repeated.
 */
const refusalsOf =
  (name: string) =>
  (text: string, write: (text: string) => void): void =>
    write(
      `${name}: ${text
        .replace(/^error: /, '')
        .replace(/(unknown option '[^'=]*=)[^']*'/, "$1…'")
        .replace(/ is invalid\. /, ' is invalid: ')}`,
    );

/** The words of a command below `grab`: `campaign create`. */
function commandPath(cmd: CommandUnknownOpts): string {
  const words: string[] = [];
  for (let c: CommandUnknownOpts | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
  return words.length > 0 ? words.join(' ') : cmd.name();
}

/**
 * Help lists every command by its full words (`campaign create`), not the families (`campaign`)
 * they are grouped in, so `grab --help` shows all there is to run.
 */
const helpConfiguration: Partial<Help> = {
  visibleCommands(this: Help, cmd: CommandUnknownOpts): CommandUnknownOpts[] {
    return Help.prototype.visibleCommands.call(this, cmd).flatMap((sub) =>
      // A family's members, without the family's own `help` command (it has no parent: commander makes it on the fly).
      sub.commands.length > 0 ? this.visibleCommands(sub).filter((c) => c.parent !== null) : [sub],
    );
  },
  subcommandTerm(this: Help, sub: CommandUnknownOpts): string {
    const args = sub.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`));
    return [commandPath(sub), ...args].join(' ');
  },
};

/** The settings, in `grab --help`: each with its variable and its flag, wrapped as commander wraps the rest. */
function settingsHelp({ command, error }: { command: CommandUnknownOpts; error: boolean }): string {
  const helper = command.createHelp();
  helper.prepareContext({ helpWidth: (error ? process.stderr : process.stdout).columns ?? 80 });
  const rows = Object.values(settingDefinitions).map(
    (d) => [d.env, `--${d.flag}: ${d.describe} (default: ${d.default || 'none'})`] as const,
  );
  const width = Math.max(...rows.map(([term]) => term.length));
  return [
    '',
    'Settings (the environment variable, or the flag on any command; the flag wins):',
    ...rows.map(([term, description]) => helper.formatItem(term, width, description, helper)),
    '',
    'Run "grab <command> --help" for a command\'s flags.',
  ].join('\n');
}

const FLAGS_HELP_GROUP = 'Flags:';

/** A family of commands (`grab campaign ...`): it only lists its members. */
function family(parent: CommandUnknownOpts, word: string, path: string): CommandUnknownOpts {
  return parent
    .command(word)
    .usage('<command> [flags]')
    .optionsGroup(FLAGS_HELP_GROUP)
    .configureOutput({ outputError: refusalsOf(`grab ${path}`) });
}

/**
 * The `grab` program, built from the command registry: each command with its own flags and a flag
 * for every setting, its help (usage, flags, example) made from those declarations. Commander
 * throws instead of exiting (exitOverride); cli/grab.ts turns what it throws into exit codes.
 */
export function grabProgram(commands: readonly GrabCommand[], run: Runner): CommandUnknownOpts {
  const program: CommandUnknownOpts = new Command('grab')
    .description(SUMMARY)
    .usage('<command> [flags]')
    .optionsGroup(FLAGS_HELP_GROUP)
    .version(packageVersion, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .configureOutput({ outputError: refusalsOf('grab') })
    .showHelpAfterError()
    .configureHelp(helpConfiguration)
    .addHelpText('after', settingsHelp);
  for (const declared of commands) {
    const words = declared.name.split(' ');
    let parent = program;
    for (const [i, word] of words.slice(0, -1).entries()) {
      parent = parent.commands.find((c) => c.name() === word) ?? family(parent, word, words.slice(0, i + 1).join(' '));
    }
    const leaf: CommandUnknownOpts = declared.flags(
      parent.command(words.at(-1)!).description(declared.summary).optionsGroup(FLAGS_HELP_GROUP),
    );
    addSettingFlags(leaf);
    const required = leaf.options.filter((o) => o.mandatory).map((o) => o.flags);
    leaf
      .usage([...required, '[flags]'].join(' '))
      .configureOutput({ outputError: refusalsOf(`grab ${declared.name}`) })
      .showHelpAfterError(`(see grab ${declared.name} --help)`)
      .addHelpText('after', `\nExample:\n  ${declared.example}`)
      .action(async () => run(declared, leaf.opts(), leaf));
  }
  return program;
}
