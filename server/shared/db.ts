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
    // Idle ones are kept for two minutes (pg's default is 10 s), so a burst every minute (a scheduler's minute
    // boundary) finds its connections open instead of opening them again; they never keep a process from exiting.
    const adapter = new PrismaPg({ connectionString: env().DATABASE_URL, max: 10, idleTimeoutMillis: 120_000, allowExitOnIdle: true });
    // Prisma's defaults (2 s to get a connection, 5 s per interactive transaction) fail a transaction that merely
    // waited: the audit chain serialises every audited write on one lock, so under load (a burst of audited API
    // requests beside a run's finishing transaction) a finished backup could be lost to a timeout. Wait longer.
    globalForDb.lifeboatDb = new PrismaClient({ adapter, transactionOptions: { maxWait: 15_000, timeout: 30_000 } });
  }
  return globalForDb.lifeboatDb;
}

export async function disconnectDb(): Promise<void> {
  if (globalForDb.lifeboatDb) {
    await globalForDb.lifeboatDb.$disconnect();
    globalForDb.lifeboatDb = undefined;
  }
}
