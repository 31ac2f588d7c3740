// tsc copies no non-TypeScript files; the Lua scripts must ship beside the compiled modules that load them.
import { cpSync } from 'node:fs';

for (const dir of ['shared/ledger/lua', 'shared/lock/lua', 'shared/queue/lua'])
  cpSync(dir, `dist/${dir}`, { recursive: true });
