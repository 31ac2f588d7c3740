import { fileURLToPath } from 'node:url';

/**
 * The compiled `grab` entry point (dist/cli/grab.js), for the commands that start `grab`
 * processes of their own: the fleet's workers and the benchmarks' producers and workers. A path,
 * not an import: the entry sits above every command and is started, never imported, from below.
 */
export const grabEntry: string = fileURLToPath(new URL('../../cli/grab.js', import.meta.url));
