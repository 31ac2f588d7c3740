import { settingDefinitions, type SettingName, type Settings } from './settings.js';

/**
 * The environment of a child process that reads the settings (a `grab` command, a bench
 * worker): this process's own, with every setting as its variable. Settings never go on a
 * child's command line, where ps shows them to every user of the machine.
 */
export function childEnv(settings: Settings): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, definition] of Object.entries(settingDefinitions)) {
    const value = settings[name as SettingName];
    env[definition.env] = value === undefined ? definition.default : String(value);
  }
  return env;
}
