// Telemetry is off for every `next` command run in this checkout (the CLI reads this env var lazily).
process.env.NEXT_TELEMETRY_DISABLED = '1';

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Native addons and Node-only drivers stay as runtime requires instead of being bundled.
  serverExternalPackages: ['@node-rs/argon2', 'pg', '@prisma/adapter-pg', 'bullmq', 'ioredis', 'pino'],
};

export default nextConfig;
