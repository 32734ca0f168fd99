// ESLint 9 flat config: the recommended type-unaware rules plus the layering rules of docs/ARCHITECTURE.md
// (GUIDE "Layering"), so that a wrong import fails `npm test` instead of waiting for a review.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Plain Node scripts (scripts/*.mjs) are not type-checked; list the globals they may use instead of pulling in a
// package for it.
const nodeGlobals = Object.fromEntries(
  [
    'AbortController', 'AbortSignal', 'Buffer', 'URL', 'URLSearchParams', 'TextDecoder', 'TextEncoder',
    'clearInterval', 'clearTimeout', 'console', 'fetch', 'process', 'queueMicrotask', 'setImmediate',
    'setInterval', 'setTimeout', 'structuredClone',
  ].map((name) => [name, 'readonly']),
);

const TS = ['**/*.{ts,tsx,mts,cts}'];

/** `@typescript-eslint/no-restricted-imports` for files under `dir`, with the GUIDE rule as the message. */
function restrictImports(dir, patterns) {
  return {
    files: [`${dir}/**/*.{ts,tsx,mts,cts,js,jsx,mjs}`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  };
}

export default defineConfig(
  {
    ignores: [
      'node_modules/**', '.next/**', '.data/**', 'server/shared/generated/**', 'prisma/generated/**',
      'test-results/**', 'playwright-report/**', 'next-env.d.ts',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: TS,
    rules: {
      // `_`-prefixed names mark deliberately unused parameters (interface implementations, callbacks).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },

  // GUIDE 2: components render; they never reach into server code at runtime (types are fine).
  restrictImports('components', [
    {
      group: ['@/server', '@/server/*'],
      allowTypeImports: true,
      message: 'components/** may import only types from server/** (GUIDE layering rule 2). Pass data in as props.',
    },
    {
      regex: '^(\\.\\./)+server(/|$)',
      allowTypeImports: true,
      message: 'components/** may import only types from server/** (GUIDE layering rule 2). Pass data in as props.',
    },
  ]),

  // lib/ is pure code both the dashboard and the server import (schedule time and words): nothing of either side.
  restrictImports('lib', [
    {
      group: ['@/server', '@/server/*', '@/components', '@/components/*', '@/app', '@/app/*', 'next', 'next/*', 'react', 'react-dom'],
      message: 'lib/** is pure and shared by components/ and server/: it may not import either, nor Next.js or React.',
    },
  ]),

  // GUIDE 3: server code is loaded by the workers too, where Next.js is not running. Type-only imports are erased,
  // so server/http may still name `NextRequest`. A regex because the gitignore-style group `next` would also match
  // the `next` segment of `next-auth/next`.
  restrictImports('server', [
    {
      regex: '^next(/|$)',
      allowTypeImports: true,
      message: 'server/** must not import Next.js (GUIDE layering rule 3): the workers load it too. Keep HTTP in app/ and server/http with web-standard Request/Response.',
    },
  ]),

  // GUIDE 1: route handlers and pages go through server/http, server/auth and domain index.ts files.
  restrictImports('app', [
    {
      group: ['@prisma/*', 'bullmq', '@/server/shared/generated', '@/server/shared/generated/*'],
      message: 'app/** must not touch Prisma or BullMQ directly (GUIDE layering rule 1): call a server/<domain> verb.',
    },
    {
      regex: '^(\\.\\./)+server/shared/generated(/|$)',
      message: 'app/** must not touch Prisma or BullMQ directly (GUIDE layering rule 1): call a server/<domain> verb.',
    },
  ]),

  // GUIDE "one process helper": every child of the app and the workers starts through server/process, which gives it
  // an allow-listed environment (never the worker's secrets). Tests, test harnesses and benchmarks may spawn directly.
  {
    files: ['server/**/*.{ts,tsx,mts,cts}', 'workers/**/*.{ts,tsx,mts,cts}', 'app/**/*.{ts,tsx,mts,cts}'],
    ignores: ['server/process/**', '**/testing/**', '**/*.test.ts', '**/*.bench.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['child_process', 'node:child_process'].map((name) => ({
            name,
            message: 'Start child processes through server/process (spawnProcess): argv only, an allow-listed environment, the exit checked.',
          })),
        },
      ],
    },
  },
);
