/** `npm run docs:tables`: rewrites the README's command and settings tables from the declarations. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commands } from './commands.js';
import { packageRoot } from '../shared/cli/package-info.js';
import { withTables } from './readme-tables.js';

const path = join(packageRoot, 'README.md');
const before = readFileSync(path, 'utf8');
const after = withTables(before, commands);
if (after !== before) writeFileSync(path, after);
process.stdout.write(after === before ? 'README.md tables are up to date\n' : 'README.md tables rewritten\n');
