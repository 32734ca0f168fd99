/**
 * s3rver in its own process for the benchmark, so that its CPU and memory count against neither side: both the
 * `aws s3 cp` baseline and Lifeboat talk to it over loopback. Prints one JSON line (connection and bucket), then
 * serves until its stdin closes (the benchmark ending, however it ends).
 */
import { startS3rver } from '@/server/storage/testing/s3rver-harness';

const s3 = await startS3rver({ bucket: 'lifeboat-bench' });
process.stdout.write(`${JSON.stringify({ connection: s3.connection, bucket: s3.bucket })}\n`);
process.stdin.resume();
process.stdin.once('end', () => void s3.close().finally(() => process.exit(0)));
