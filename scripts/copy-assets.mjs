// tsc copies no non-TypeScript files; the ledger's Lua scripts must ship beside the compiled loader.
import { cpSync } from 'node:fs';

cpSync('shared/ledger/lua', 'dist/shared/ledger/lua', { recursive: true });
