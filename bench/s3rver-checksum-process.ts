/**
 * Like s3rver-process.ts, but s3rver is fronted by the checksum proxy (server/storage/testing/checksum-proxy.ts),
 * which verifies and echoes S3 SHA-256 checksums as AWS S3 does: a store on which `verify: 'auto'` skips the
 * re-read. Both run in this child, so their CPU counts against neither side of the comparison.
 */
import { startChecksumProxy } from '@/server/storage/testing/checksum-proxy';
import { startS3rver } from '@/server/storage/testing/s3rver-harness';

const s3 = await startS3rver({ bucket: 'lifeboat-bench' });
const proxy = await startChecksumProxy(s3.connection.endpoint);
process.stdout.write(`${JSON.stringify({ connection: { ...s3.connection, endpoint: proxy.url }, bucket: s3.bucket })}\n`);
process.stdin.resume();
process.stdin.once('end', () => void proxy.close().then(() => s3.close()).finally(() => process.exit(0)));
