#!/usr/bin/env node
// The compiled CLI: dist/ is built by `npm run build`, which `npm ci` / `npm install` in a checkout run through
// `prepare` and `npm pack` / `npm publish` put in the package. (Tests run the TypeScript sources through tsx instead.)
try {
  await import('../dist/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/cli/main.js')) throw e;
  console.error('vidserve: dist/ is missing: build it with `npm run build` (npm ci / npm install do it through prepare)');
  process.exitCode = 1;
}
