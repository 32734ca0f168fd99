import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';
import { env } from './env';

export type { Prisma } from './generated/prisma/client';
export type Db = PrismaClient;
/** The client handed to a transaction callback. */
export type Tx = Omit<PrismaClient, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

const globalForDb = globalThis as unknown as { lifeboatDb?: PrismaClient };

/** One client per process (Next.js dev reloads modules, so it is kept on globalThis). */
export function db(): PrismaClient {
  if (!globalForDb.lifeboatDb) {
    // 10 connections: the web process serves a dashboard, a worker runs a few jobs; both stay far below max_connections.
    const adapter = new PrismaPg({ connectionString: env().DATABASE_URL, max: 10 });
    globalForDb.lifeboatDb = new PrismaClient({ adapter });
  }
  return globalForDb.lifeboatDb;
}

export async function disconnectDb(): Promise<void> {
  if (globalForDb.lifeboatDb) {
    await globalForDb.lifeboatDb.$disconnect();
    globalForDb.lifeboatDb = undefined;
  }
}
