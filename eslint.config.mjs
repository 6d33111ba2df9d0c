// Lint rules `npm test` enforces (ESLint flat config): JavaScript's and typescript-eslint's
// recommended sets everywhere, and React's hooks rules in the renderer. A disable comment in
// the code must name one of these rules and say why; an unused one is an error.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'release/', 'node_modules/', 'test-results/', 'coverage/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names are kept on purpose (a signature's position, a tuple's slot).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Browser code, and scripts whose functions run inside a page (Playwright's evaluate).
    files: ['renderer/**/*.{ts,tsx}', 'test/harness/bridge-page/**/*.js', 'test/bench/ui-page.mjs', 'test/bench/ui-bench.mjs'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat['recommended-latest'],
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    // Only says the React Compiler would skip a component; the renderer is not compiled with it.
    rules: { 'react-hooks/incompatible-library': 'off' },
  },
);
