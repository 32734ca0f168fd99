// Telemetry is off for every `next` command run in this checkout (the CLI reads this env var lazily).
process.env.NEXT_TELEMETRY_DISABLED = '1';

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // A second build directory for a private manual server next to the suite's `.next` (e.g. `.data/next-dev`);
  // unset in normal use.
  distDir: process.env.LIFEBOAT_NEXT_DIST_DIR || '.next',
  // Native addons and Node-only drivers stay as runtime requires instead of being bundled.
  serverExternalPackages: ['@node-rs/argon2', 'pg', '@prisma/adapter-pg', 'bullmq', 'ioredis', 'pino'],
};

export default nextConfig;
