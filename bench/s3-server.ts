/**
 * s3rver in a child process (bench/s3rver-process.ts), so that its CPU and memory count against neither side of a
 * comparison, and the environment that points the aws CLI at it (path style, plain bodies).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface S3Server {
  connection: { endpoint: string; region: string; forcePathStyle: boolean; credentials: { accessKeyId: string; secretAccessKey: string } };
  bucket: string;
  /** For `aws --endpoint-url "$E" s3 …` in `shell()`: config file, credentials, and the endpoint as `E`. */
  awsEnv: Record<string, string>;
  pid: number;
  close(): Promise<void>;
}

/**
 * Starts s3rver in its own process; `work` is a folder for the aws CLI's config file. `verifiesChecksums`: behind
 * a proxy that verifies and echoes S3 checksums as AWS S3 does (bench/s3rver-checksum-process.ts).
 */
export async function startS3Server(work: string, opts: { verifiesChecksums?: boolean } = {}): Promise<S3Server> {
  const script = opts.verifiesChecksums === true ? 's3rver-checksum-process.ts' : 's3rver-process.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, script)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const info = JSON.parse(line) as Pick<S3Server, 'connection' | 'bucket'>;
  const config = path.join(work, `aws-config-${child.pid}`);
  // when_required: like Lifeboat's own client, so that the CLI sends plain bodies s3rver stores as they are.
  fs.writeFileSync(
    config,
    `[default]\nregion = ${info.connection.region}\nrequest_checksum_calculation = when_required\nresponse_checksum_validation = when_required\ns3 =\n  addressing_style = path\n`,
  );
  return {
    ...info,
    pid: child.pid!,
    awsEnv: {
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_ACCESS_KEY_ID: info.connection.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: info.connection.credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      E: info.connection.endpoint,
    },
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}
