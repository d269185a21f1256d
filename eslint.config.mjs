// Flat ESLint config for the whole workspace: type-aware typescript-eslint rules plus Nx's module
// boundary rule, which enforces the package layering (see README "Package layers").
import nxPlugin from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/*.cjs', '**/*.mjs', '**/*.js', 'packages/*/python/**'],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nxPlugin },
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'List the public API by name instead of `export *`.' },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            { sourceTag: 'scope:model-manager', onlyDependOnLibsWithTags: ['scope:test-helpers'] },
            { sourceTag: 'scope:hf-manager', onlyDependOnLibsWithTags: ['scope:model-manager', 'scope:test-helpers'] },
            { sourceTag: 'scope:onnx', onlyDependOnLibsWithTags: ['scope:test-helpers'] },
            { sourceTag: 'scope:converter-core', onlyDependOnLibsWithTags: ['scope:onnx', 'scope:model-manager', 'scope:test-helpers'] },
            { sourceTag: 'scope:adapter', onlyDependOnLibsWithTags: ['scope:converter-core', 'scope:onnx', 'scope:model-manager', 'scope:test-helpers'] },
            { sourceTag: 'scope:optimizer', onlyDependOnLibsWithTags: ['scope:converter-core', 'scope:onnx', 'scope:model-manager', 'scope:test-helpers'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:model-manager', 'scope:hf-manager', 'scope:onnx', 'scope:converter-core', 'scope:adapter', 'scope:optimizer', 'scope:test-helpers'] },
            { sourceTag: 'scope:test-helpers', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:packaging-check', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
