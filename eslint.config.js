// `npm run lint`: ESLint's and typescript-eslint's recommended rules. Not the type-aware presets: they are slow and
// strict, and this lint has to stay practical while several people add code in parallel. Types are checked by
// `npm run typecheck` (tsconfig.check.json: src, test and bench).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const node = Object.fromEntries(
  ['process', 'Buffer', 'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'URL', 'performance'].map((g) => [g, 'readonly']),
);

export default defineConfig(
  { ignores: ['dist/', 'models/', 'node_modules/', '.tmp/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { sourceType: 'module', globals: node } },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...node, require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Tests read JSON reference data and inspect decoded messages untyped.
  { files: ['test/**', 'bench/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    rules: {
      // `_`-prefixed names mark deliberately unused parameters and destructured leftovers.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
