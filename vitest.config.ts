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
    // The AWS SDK warns once per process that its releases after January 2027 will need Node 22; the lockfile pins
    // one that supports this Node 20, and the same ten lines from every test file that touches S3 only bury failures.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
