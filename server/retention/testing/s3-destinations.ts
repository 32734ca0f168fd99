/** Test-only: an S3 server (s3rver) behind a fault proxy, destination rows on it, and the cleanup of what a test made. */
import { db } from '@/server/shared/db';
import { startFaultProxy, type FaultProxy } from '@/server/storage/testing/fault-proxy';
import { startS3rver, type S3rverHarness } from '@/server/storage/testing/s3rver-harness';
import { uniqueName } from '@/server/testing/pg';

export interface S3Destinations {
  s3: S3rverHarness;
  /** In front of `s3`: the S3 destinations go through it unless told otherwise. */
  proxy: FaultProxy;
  /** The config of an S3 destination on the server's bucket, reached at `endpoint` (the proxy's unless given). */
  s3Config(extra: Record<string, unknown>, endpoint?: string): Record<string, unknown>;
  /** A new destination row; its id. */
  make(kind: string, config: object): Promise<string>;
  /** Closes the proxy, then the server. */
  close(): Promise<void>;
}

export async function startS3Destinations(): Promise<S3Destinations> {
  const s3 = await startS3rver();
  const proxy = await startFaultProxy(s3.connection.endpoint);
  return {
    s3,
    proxy,
    s3Config: (extra, endpoint = proxy.url) => ({
      endpoint,
      region: s3.connection.region,
      bucket: s3.bucket,
      forcePathStyle: true,
      ...s3.connection.credentials,
      ...extra,
    }),
    make: async (kind, config) => (await db().destination.create({ data: { name: uniqueName('dest'), kind, config } })).id,
    close: async () => {
      await proxy.close();
      await s3.close();
    },
  };
}

/** Removes what a retention test made: its sources' points and runs, the sources, the policies and the destinations. */
export async function removeMade(made: { sources: string[]; policies: string[]; destinations: string[] }): Promise<void> {
  const sourceId = { in: made.sources };
  await db().recoveryPoint.deleteMany({ where: { sourceId } });
  await db().run.deleteMany({ where: { sourceId } });
  await db().source.deleteMany({ where: { id: sourceId } });
  await db().policy.deleteMany({ where: { id: { in: made.policies } } });
  await db().destination.deleteMany({ where: { id: { in: made.destinations } } });
}

/** A source whose policy stores on `primary` and copies to `copies` (in that order); both recorded in `made`. */
export async function sourceWithPolicy(made: { sources: string[]; policies: string[] }, primary: string, copies: string[] = []): Promise<{ sourceId: string; policyId: string }> {
  const policy = await db().policy.create({
    data: { name: uniqueName('policy'), destinationId: primary, copies: { create: copies.map((destinationId, position) => ({ destinationId, position })) } },
  });
  made.policies.push(policy.id);
  const source = await db().source.create({ data: { name: uniqueName('src'), kind: 'postgres', config: {}, policyId: policy.id } });
  made.sources.push(source.id);
  return { sourceId: source.id, policyId: policy.id };
}
