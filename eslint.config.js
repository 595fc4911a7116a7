// `npm run lint`: ESLint's and typescript-eslint's recommended rules. Not the type-aware presets: they are slow and
// strict, and this lint has to stay practical while several people add code in parallel. Types are checked by
// `npm run typecheck` (tsconfig.check.json: src, test and bench).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const readonly = (names) => Object.fromEntries(names.map((n) => [n, 'readonly']));
// Globals of the plain JavaScript files (TypeScript files get theirs from the type check, as typescript-eslint advises).
const shared = ['console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'structuredClone', 'globalThis',
  'URL', 'URLSearchParams', 'fetch', 'Request', 'Response', 'Headers', 'AbortController', 'AbortSignal', 'TextEncoder', 'TextDecoder',
  'performance', 'Blob', 'FormData', 'Event', 'EventTarget'];
const node = readonly([...shared, 'process', 'Buffer', 'setImmediate', 'clearImmediate']);
const commonjs = { ...node, ...readonly(['require', '__dirname', '__filename']), module: 'writable', exports: 'writable' };
const browser = readonly([...shared, 'window', 'document', 'navigator', 'location', 'history', 'File', 'FileReader', 'FileList',
  'XMLHttpRequest', 'DataTransfer', 'CustomEvent', 'HTMLElement', 'HTMLInputElement', 'HTMLCanvasElement', 'Image', 'ImageData',
  'requestAnimationFrame', 'cancelAnimationFrame', 'getComputedStyle', 'matchMedia', 'localStorage', 'sessionStorage', 'alert']);

export default defineConfig(
  { ignores: ['dist/', 'models/', 'node_modules/', '.tmp/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { sourceType: 'module', globals: node } },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: commonjs }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // The web page's script runs in the browser.
  { files: ['src/web/**/*.js'], languageOptions: { sourceType: 'module', globals: browser } },
  // Tests read JSON reference data and inspect decoded messages untyped.
  { files: ['test/**', 'bench/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    rules: {
      // `_`-prefixed names mark deliberately unused parameters and destructured leftovers.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
