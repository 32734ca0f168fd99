import { defineConfig } from 'prisma/config';

// The CLI is only used for `prisma generate`; migrations go through prisma/migrator (see docs/ARCHITECTURE.md).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
