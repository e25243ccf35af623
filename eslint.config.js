// ESLint flat config. Syntax-only rules (no type-aware linting), so `npm run lint` stays fast;
// `npm run typecheck` is what checks types. Every rule is `error` or `off`, never `warn`: a
// warning nobody has to fix is noise in CI output.
const tseslint = require('typescript-eslint');

/**
 * The core rules of `eslint:recommended` that typescript-eslint's `eslintRecommended` leaves on
 * (it turns off those the TypeScript compiler already checks). Listed here because eslint 10 no
 * longer ships `@eslint/js`, and we'd rather not add a dependency for a list of names.
 */
const coreRecommended = [
  'for-direction',
  'no-async-promise-executor',
  'no-case-declarations',
  'no-compare-neg-zero',
  'no-cond-assign',
  'no-constant-binary-expression',
  'no-constant-condition',
  'no-control-regex',
  'no-debugger',
  'no-delete-var',
  'no-dupe-else-if',
  'no-duplicate-case',
  'no-empty',
  'no-empty-character-class',
  'no-empty-pattern',
  'no-empty-static-block',
  'no-ex-assign',
  'no-extra-boolean-cast',
  'no-fallthrough',
  'no-global-assign',
  'no-invalid-regexp',
  'no-irregular-whitespace',
  'no-loss-of-precision',
  'no-misleading-character-class',
  'no-nonoctal-decimal-escape',
  'no-octal',
  'no-prototype-builtins',
  'no-regex-spaces',
  'no-self-assign',
  'no-shadow-restricted-names',
  'no-sparse-arrays',
  'no-unexpected-multiline',
  'no-unsafe-finally',
  'no-unsafe-optional-chaining',
  'no-unused-labels',
  'no-unused-private-class-members',
  'no-useless-backreference',
  'no-useless-catch',
  'no-useless-escape',
  'require-yield',
  'use-isnan',
  'valid-typeof',
];

module.exports = tseslint.config(
  {
    // bench/ may not exist yet: `eslint .` with ignores never fails on a missing folder.
    ignores: ['node_modules/', 'dist/', '.local/', 'coverage/', '.ci/'],
  },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        // Tells consistent-type-imports that decorator metadata needs runtime imports of classes.
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      ...Object.fromEntries(coreRecommended.map((rule) => [rule, 'error'])),
      // `x == null` is the one idiom for "null or undefined"; every other comparison is strict.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
      'no-var': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Services, resolvers and workers log through pino; only entry points print for people.
    files: ['src/**/*.ts'],
    ignores: ['src/main.ts', 'src/**/*.cli.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Tests and benchmarks poke at untyped GraphQL answers and print figures.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Plain CommonJS config files (this one, jest.config.js).
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
