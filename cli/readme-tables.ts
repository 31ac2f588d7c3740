import type { CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import type { GrabCommand } from '../shared/cli/command.js';
import { settingDefinitions } from '../shared/config/settings.js';

/**
 * The README's command and settings tables, kept to what the CLI declares. The columns that name
 * things (command, example; variable, flag, default) are made from the declarations; the prose
 * column of a row already in the README is kept as written, and a new row starts from the
 * declaration's own summary. `npm run docs:tables` rewrites the tables between their markers; a
 * test checks that the committed README is what it would write.
 */

export const commandTable = {
  start: '<!-- commands:start -->',
  end: '<!-- commands:end -->',
  header: ['command', 'example', 'what it does'],
};
export const settingTable = {
  start: '<!-- settings:start -->',
  end: '<!-- settings:end -->',
  header: ['variable', 'flag', 'default', 'meaning'],
};
type TableSpec = typeof commandTable;

const code = (text: string) => `\`${text}\``;
/** A cell's text in a Markdown table: a `|` would end the cell. */
const cell = (text: string) => text.replace(/(?<!\\)\|/g, '\\|');
const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
const unquote = (text: string) => text.replace(/^`|`$/g, '');

function block(readme: string, table: TableSpec): { before: string; body: string; after: string } {
  const start = readme.indexOf(table.start);
  const end = readme.indexOf(table.end);
  if (start < 0 || end < start) throw new Error(`README.md has no ${table.start} ... ${table.end} block`);
  return {
    before: readme.slice(0, start + table.start.length),
    body: readme.slice(start + table.start.length, end),
    after: readme.slice(end),
  };
}

/** The rows of a table block, by their first cell (without its backticks). */
export function tableRows(readme: string, table: TableSpec): Map<string, string[]> {
  const rows = block(readme, table)
    .body.split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .slice(2)
    .map(cells);
  return new Map(rows.map((row) => [unquote(row[0] ?? ''), row]));
}

const render = (table: TableSpec, rows: string[][]) =>
  [
    '',
    `| ${table.header.join(' | ')} |`,
    `| ${table.header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');

function replaceBlock(readme: string, table: TableSpec, rows: string[][]): string {
  const { before, after } = block(readme, table);
  return `${before}${render(table, rows)}${after}`;
}

/** A setting's default as the table shows it: the value, or "none" for an empty one. */
export const shownDefault = (value: string) => (value === '' ? 'none' : code(value));

/** The README with both tables made from the declarations, keeping each existing row's prose. */
export function withTables(readme: string, commands: readonly GrabCommand[]): string {
  const commandProse = tableRows(readme, commandTable);
  const commandRows = commands.map((c) => [
    code(c.name),
    code(cell(c.example)),
    commandProse.get(c.name)?.[2] ?? cell(`${c.summary}.`),
  ]);
  const settingProse = tableRows(readme, settingTable);
  const settingRows = Object.values(settingDefinitions).map((d) => [
    code(d.env),
    code(`--${d.flag}`),
    shownDefault(d.default),
    settingProse.get(d.env)?.[3] ?? cell(`${d.describe}.`),
  ]);
  return replaceBlock(replaceBlock(readme, commandTable, commandRows), settingTable, settingRows);
}

/** Every command of the program below `grab`, by its words: `campaign create` → its commander command. */
export function leafCommands(program: CommandUnknownOpts): Map<string, CommandUnknownOpts> {
  const leaves = new Map<string, CommandUnknownOpts>();
  const walk = (cmd: CommandUnknownOpts, path: string[]) => {
    for (const sub of cmd.commands) {
      const words = [...path, sub.name()];
      if (sub.commands.length > 0) walk(sub, words);
      else leaves.set(words.join(' '), sub);
    }
  };
  walk(program, []);
  return leaves;
}

/**
 * What a command row's prose says that its declarations contradict: a flag the command does not
 * have, or a default that is not the flag's (`--max-batch N` (default 64)).
 */
export function proseProblems(name: string, prose: string, options: readonly Option[]): string[] {
  const byFlag = new Map(options.map((o) => [o.long, o]));
  const problems: string[] = [];
  for (const [, flagName] of prose.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*)/g)) {
    if (!byFlag.has(flagName)) problems.push(`${name}: ${flagName} is not one of its flags`);
  }
  for (const [, flagName, stated] of prose.matchAll(
    /`(--[a-z][a-z0-9-]*)[^`]*` \(default `?(\d{1,3}(?:,\d{3})+|[^\s`:;,)]+)/g,
  )) {
    const declared = byFlag.get(flagName!)?.defaultValue;
    if (declared !== undefined && stated!.replace(/,/g, '') !== String(declared)) {
      problems.push(`${name}: ${flagName} says default ${stated}, but it is ${String(declared)}`);
    }
  }
  return problems;
}
