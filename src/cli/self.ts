// How to start this same vidserve CLI as a child process (the demo's server, its convert steps, tests): the compiled
// dist/cli/main.js when this module is compiled JavaScript (an installed package, `npx vidserve`), the TypeScript
// sources through tsx when it runs as .ts (a checkout under `tsx --test`). A child never runs other code than its parent.
import { fileURLToPath } from 'node:url';

/** Whether this module runs as TypeScript source (tsx) rather than compiled JavaScript. */
export const RUNNING_SOURCES = import.meta.url.endsWith('.ts');

/** `process.execPath` arguments that run `vidserve <args>`. */
export function cliArgs(args: readonly string[]): string[] {
  const main = fileURLToPath(new URL(RUNNING_SOURCES ? './main.ts' : './main.js', import.meta.url));
  // tsx is a dev dependency: resolved (absolutely, whatever the child's working directory) only for the sources.
  return RUNNING_SOURCES ? ['--import', import.meta.resolve('tsx'), main, ...args] : [main, ...args];
}
