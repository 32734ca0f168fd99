import { defineConfig, devices } from '@playwright/test';
import { OIDC_ISSUER, OIDC_WEB_ENV } from './e2e/oidc-idp';

// The e2e suite runs against the production build (`next build` first) with the test environment from
// `node scripts/services.mjs env --test`: database lifeboat_test, queue prefix lifeboat-test, data dir .data/test.
// `bash scripts/test.sh --only e2e` (npm run test:e2e) prepares all of that, seeds the admin with a fixed password
// and exports it to the specs as E2E_ADMIN_PASSWORD.
const PORT = 3100; // not 3000, so a running `npm run up` and the suite can coexist
const baseURL = `http://127.0.0.1:${PORT}`;

if (!process.env.DATABASE_URL || process.env.LIFEBOAT_QUEUE_PREFIX !== 'lifeboat-test') {
  throw new Error('playwright needs the test environment; run `npm run test:e2e` (bash scripts/test.sh --only e2e)');
}

// SIGTERM so the worker can release its claimed runs; 10 s is more than its drain needs and bounds a hang.
const gracefulShutdown = { signal: 'SIGTERM', timeout: 10_000 } as const;

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // No retries on purpose: a spec that needs a second try is reporting a real race (GUIDE anti-patterns).
  retries: 0,
  forbidOnly: !!process.env.CI,
  // One browser at a time: on the 2-core CI machine the web server, the worker and Chromium already share the CPU.
  workers: 1,
  fullyParallel: false,
  // Backups and restores run in the worker; 60 s covers a small one on a slow machine.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        // Debian's Chromium (scripts/ensure-system.sh --with-browser); `npx playwright install` is never run.
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
  webServer: [
    {
      // A local OpenID provider (e2e/oidc-provider.ts) for e2e/oidc.spec.ts; first, so it is up before `next start`,
      // which gets OIDC_WEB_ENV. The other specs only see one more button on the login page.
      name: 'oidc',
      command: 'npx tsx e2e/oidc-provider.ts',
      url: `${OIDC_ISSUER}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'ignore',
      gracefulShutdown,
    },
    {
      name: 'web',
      // A long keep-alive: Node closes an idle connection after 5 s by default, and a request the specs' API client
      // sends on it in that instant fails with ECONNRESET ("socket hang up") before the server sees it.
      command: `npx next start -p ${PORT} -H 127.0.0.1 --keepAliveTimeout 120000`,
      env: OIDC_WEB_ENV,
      url: baseURL,
      reuseExistingServer: false,
      // `next start` is ready in seconds; a minute allows for a cold disk cache on CI.
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      gracefulShutdown,
    },
    {
      // The worker serves nothing over HTTP, so there is no URL to wait for: Playwright starts it and moves on
      // (jobs queued before it is ready wait in Redis). Playwright does not notice a worker that dies after that,
      // so the shell records its exit status in worker.exited; Playwright's own SIGTERM kills the shell first, so
      // the file exists only when the worker quit on its own, and scripts/test.sh fails the e2e stage on it.
      // stdout (the pino log) goes to worker.log, which test.sh prints when the stage fails.
      // No periodic prune (LIFEBOAT_PRUNE_INTERVAL_SECONDS=0): retention.spec.ts prunes on demand and checks what
      // went; a sweep's prune (first sweep, or an hour boundary) would delete its points under it.
      name: 'worker',
      command:
        'LIFEBOAT_PRUNE_INTERVAL_SECONDS=0 npx tsx workers/main.ts >> "$LIFEBOAT_DATA_DIR/worker.log"; echo $? > "$LIFEBOAT_DATA_DIR/worker.exited"',
      reuseExistingServer: false,
      stderr: 'pipe',
      gracefulShutdown,
    },
  ],
});
