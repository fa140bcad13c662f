import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Prisma delegate methods that write rows. */
const WRITES =
  '/^(create|createMany|createManyAndReturn|update|updateMany|updateManyAndReturn|upsert|delete|deleteMany)$/';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'src/generated/**',
      'node_modules/**',
      'coverage/**',
      'console/src/graphql-env.d.ts',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // One owner per piece of state: review items, incidents and stream rows (with their scenes) are
    // written only by their owners (src/review, src/incidents, src/streams).
    files: ['src/**/*.ts'],
    ignores: ['src/review/**', 'src/incidents/**', 'src/streams/**', 'src/**/*.spec.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: `CallExpression[callee.object.property.name=/^(reviewItem|incident|stream|streamScene)$/][callee.property.name=${WRITES}]`,
          message:
            'Review items, incidents, streams and their scenes are written by their owners (src/review, src/incidents, src/streams).',
        },
      ],
    },
  },
  {
    files: ['src/cli/**', 'bench/**', 'scripts/**', 'src/demo/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        module: 'writable',
        require: 'readonly',
      },
    },
  },
);
