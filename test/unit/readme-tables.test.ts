import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../cli/commands.js';
import { grabProgram } from '../../cli/program.js';
import {
  commandTable,
  leafCommands,
  proseProblems,
  settingTable,
  tableRows,
  withTables,
} from '../../cli/readme-tables.js';
import { settingDefinitions } from '../../shared/config/settings.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const program = grabProgram(commands, async () => {});

describe("the README's command and settings tables", () => {
  it('are what the CLI declares (npm run docs:tables rewrites them)', () => {
    expect(readme).toBe(withTables(readme, commands));
  });

  it('list every command the program has, and no other', () => {
    expect([...tableRows(readme, commandTable).keys()]).toEqual([...leafCommands(program).keys()]);
  });

  it('list every setting, with its flag and default', () => {
    expect([...tableRows(readme, settingTable).keys()]).toEqual(Object.values(settingDefinitions).map((d) => d.env));
  });

  it("name only a command's own flags, with their declared defaults", () => {
    const leaves = leafCommands(program);
    const problems = [...tableRows(readme, commandTable)].flatMap(([name, row]) =>
      proseProblems(name, row[2] ?? '', leaves.get(name)?.options ?? []),
    );
    expect(problems).toEqual([]);
  });
});

describe('withTables', () => {
  const skeleton = [
    'intro',
    commandTable.start,
    '| command | example | what it does |',
    '| --- | --- | --- |',
    '| `gone` | `grab gone` | A command that is no more. |',
    '| `wait` | `grab wait --old` | Kept prose, with a \\| pipe. |',
    commandTable.end,
    settingTable.start,
    settingTable.end,
    'outro',
  ].join('\n');

  it("keeps an existing row's prose, drops rows of no command, and starts new rows from the declaration", () => {
    const out = withTables(skeleton, commands);
    const rows = tableRows(out, commandTable);
    expect(rows.has('gone')).toBe(false);
    expect(rows.get('wait')).toEqual([
      '`wait`',
      '`grab wait --campaign new-year --timeout 600`',
      'Kept prose, with a \\| pipe.',
    ]);
    expect(rows.get('lock-bench')?.[2]).toBe(
      'Measure ZooKeeper lock handoffs: N contenders, each in its own session, on L locks.',
    );
    expect(tableRows(out, settingTable).get('ZK_AUTH')?.slice(0, 3)).toEqual(['`ZK_AUTH`', '`--zk-auth`', 'none']);
    expect(out.startsWith('intro\n')).toBe(true);
    expect(out.endsWith('\noutro')).toBe(true);
    expect(withTables(out, commands)).toBe(out);
  });

  it('refuses a README without the markers', () => {
    expect(() => withTables('no tables here', commands)).toThrow(/commands:start/);
  });

  it('finds flags a command does not have and defaults that are not the declared ones', () => {
    const work = leafCommands(program).get('work')!.options;
    const agreeing =
      '`--max-batch N` (default 64), `--lock-retain-ms MS` (default 30,000: …), `--affinity on\\|off` (default `on`)';
    expect(proseProblems('work', agreeing, work)).toEqual([]);
    expect(proseProblems('work', '`--max-batch N` (default 32), `--nope`', work)).toEqual([
      'work: --nope is not one of its flags',
      'work: --max-batch says default 32, but it is 64',
    ]);
  });
});
