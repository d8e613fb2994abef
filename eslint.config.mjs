import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // TypeScript already checks names; the browser/node globals are its business.
      'no-undef': 'off',
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
  {
    // The renderer talks to the main process only through window.studio (the typed contract).
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.vue'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['electron', 'node:*', '**/src-main/services/**', '**/src-main/store/**'] }],
    },
  },
  {
    // Layers: the engine (ml/) and the contract (shared/) know nothing of the services, the project
    // store, the server or Electron.
    files: ['src-main/ml/**/*.ts', 'src-main/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['electron', 'better-sqlite3', '**/services', '**/services/**', '**/store', '**/store/**', '**/server', '**/server/**'] },
      ],
    },
  },
  {
    // The desktop shell does not load the headless server (what both need lives in shared/ or services/).
    files: ['src-main/index.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/server', '**/server/**'] }] },
  },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', require: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
)
