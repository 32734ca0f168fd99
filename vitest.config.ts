import { defineConfig } from 'vitest/config';
import path from 'node:path';

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.next/**', '.data/**', 'e2e/**'],
    // Integration tests share one Postgres/Redis; files run in parallel but each test makes its own data.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
