// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '**/*.js', '**/*.d.ts'] },
  eslint.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts'],
    rules: {
      // The construct validates props that TypeScript callers could still leave out at run time
      // (JavaScript callers, `as` casts); a few `!` after such checks are deliberate.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
