// ESLint flat config: type-aware typescript-eslint. The rules that matter most in this project are
// the promise rules: an un-awaited send(), commit() or insert() is how a pipeline loses data.
import path from 'node:path'
import tseslint from 'typescript-eslint'

/** One package owns each outside client library, so swapping a client touches one folder. */
const OWNED = [
  { name: 'kafkajs', owner: 'packages/kafka' },
  { name: '@kafkajs/confluent-schema-registry', owner: 'packages/kafka' },
  { name: '@clickhouse/client', owner: 'packages/clickhouse' },
  { name: 'chdb', owner: 'packages/clickhouse' },
  { name: 'pino', owner: 'packages/logger' },
]

export default tseslint.config(
  { ignores: ['node_modules/', '.cache/', '.data/'] },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: path.resolve(import.meta.dirname, '..') },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test() returns a promise the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        {
          paths: OWNED.map(({ name, owner }) => ({ name, message: `only ${owner} imports ${name}; use its exports` })),
          patterns: OWNED.map(({ name, owner }) => ({ group: [`${name}/*`], message: `only ${owner} imports ${name}` })),
        },
      ],
    },
  },
  // A package's tests that need the stack live in test/<package>/ and may reach its library too.
  ...OWNED.map(({ owner }) => ({
    files: [`${owner}/**/*.ts`, `test/${path.basename(owner)}/**/*.ts`],
    rules: { 'no-restricted-imports': 'off' },
  })),
)
