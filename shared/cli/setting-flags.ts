import { Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import {
  parseSettings,
  settingDefinitions,
  type SettingName,
  type Settings,
  type SettingSource,
} from '../config/settings.js';

export const SETTINGS_HELP_GROUP = 'Settings (each also read from its environment variable):';

/**
 * A setting's flag, made from its definition: the variable through `.env()`, the default, and the
 * description. Commander picks the value (the flag's, over the variable's, over the default) and
 * remembers where it came from; settingsOf() validates it. No parser here: commander's own refusal
 * would show the value, and a setting's value may hold a password.
 */
export function settingOption(name: SettingName) {
  const def = settingDefinitions[name];
  // The flag's last word names its value: --redis-url <url>, --zk-session-timeout-ms <ms>.
  const value = def.flag.split('-').at(-1)!;
  return new Option(`--${def.flag} <${value}>`, def.describe)
    .env(def.env)
    .default(def.default, def.default === '' ? 'none' : def.default)
    .helpGroup(SETTINGS_HELP_GROUP);
}

export const settingNames = Object.keys(settingDefinitions) as SettingName[];

/** Adds a flag for every setting to a command. */
export function addSettingFlags(command: CommandUnknownOpts): void {
  for (const name of settingNames) command.addOption(settingOption(name));
}

const sources: Record<string, SettingSource> = { cli: 'flag', env: 'env' };

/** The validated settings of a parsed command; an error names the flag or variable that was wrong. */
export function settingsOf(command: CommandUnknownOpts): Settings {
  return parseSettings((name) => {
    const key = settingOption(name).attributeName();
    return {
      value: String(command.getOptionValue(key)),
      source: sources[command.getOptionValueSource(key) ?? ''] ?? 'default',
    };
  });
}
