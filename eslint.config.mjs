// Lint: promises must be awaited or voided on purpose; workflow code (and the pure modules it
// imports) may not use Node built-ins, which Temporal's workflow sandbox does not have — the rule
// temporalio/samples-typescript sets. Formatting is prettier's (.prettierrc.json).
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const workflowCode = [
  'workflows/**/*.ts',
  'src/ids.ts',
  'src/searchAttributes.ts',
  'src/campaignRules.ts',
  'src/campaignState.ts',
  'src/metric.ts',
  'src/trialRecord.ts',
  'src/specialistChoice.ts',
  'src/proposers/proposerConfig.ts',
  'src/types.ts',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.lineage/**', 'services/**', 'tasks/**', 'test/fixtures/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }] },
  },
  {
    files: workflowCode,
    rules: { 'no-restricted-imports': ['error', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)] },
  },
);
