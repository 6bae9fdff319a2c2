// Lint for the whole project, run by `npm test` (scripts/test.mjs) and `npm run lint`: typescript-eslint's
// recommended type-checked rules, with type information from each part's own tsconfig (host + tests,
// webview, bench). A rule turned off or changed below says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is typed by the tsconfig that builds it: the webview has the DOM and no Node types.
        projectService: false,
        project: ['./tsconfig.json', './src/webview/tsconfig.json', './bench/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Matching control characters is the point of several regexes here: peer text and names are
      // cleaned of them before they reach a terminal or the panel.
      'no-control-regex': 'off',
      // `_exhaustive: never` checks and deliberately ignored catch bindings are named with a leading _.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Numbers and booleans in messages are intended (`${port}`); objects and undefined are still caught.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // Fire-and-forget is marked with `void`; handlers given to Node or VS Code APIs may be async.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
    },
  },
  {
    // A stand-in for the `vscode` module, so the benchmark can activate the extension in plain Node: it
    // is loosely typed on purpose (it implements only what activation touches).
    files: ['bench/roles/activate.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // node:test's `test()` and `describe()` return promises that the runner awaits itself.
    files: ['test/unit/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] }] },
  },
);
