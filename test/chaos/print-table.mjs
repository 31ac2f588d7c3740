// Prints the result table of the last `npm run chaos` from the rows each scenario appended.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const file = process.env.CHAOS_RESULTS ?? join(tmpdir(), 'grab-chaos-results.ndjson');
if (!existsSync(file)) {
  console.error(`no chaos results in ${file}`);
  process.exit(1);
}
const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
rows.sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
const head = ['scenario', 'grabs', 'faults injected', 'violations', 'lost grabs', 'duplicate grants', 'fenced writes', 'recovery time', 'run'];
console.log(`\nChaos results (${rows[0]?.full ? 'full' : 'short'} run)\n`);
console.log(`| ${head.join(' | ')} |`);
console.log(`| ${head.map(() => '---').join(' | ')} |`);
for (const r of rows) {
  const cells = [r.scenario, r.grabs.toLocaleString('en-US'), r.faults, r.violations, r.lostGrabs, r.duplicateGrants, r.fencedWrites, r.recovery, `${Math.round(r.seconds)} s`];
  console.log(`| ${cells.join(' | ')} |`);
}
