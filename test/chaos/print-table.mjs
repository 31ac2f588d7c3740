// Prints the result table of the last `npm run chaos` from the rows each scenario appended.
// It runs after the build, so it shares the compiled test support's file name and table format.
import { existsSync, readFileSync } from 'node:fs';
import { RESULTS_FILE, formatTable } from '../../dist/test/support/chaos.js';

if (!existsSync(RESULTS_FILE)) {
  console.error(`no chaos results in ${RESULTS_FILE}`);
  process.exit(1);
}
const rows = readFileSync(RESULTS_FILE, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
rows.sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
console.log(`\nChaos results (${rows[0]?.full ? 'full' : 'short'} run)\n`);
console.log(formatTable(rows));
