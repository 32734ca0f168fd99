export type ArtifactErrorCode =
  /** zstd or age is not installed where the worker runs. */
  | 'TOOL_NOT_FOUND'
  /** A stage exited non-zero or was killed by a signal we did not send (message carries its stderr tail). */
  | 'TOOL_FAILED'
  /** The stored bytes do not hash to the recorded sha256: corrupt, tampered with, or a different object. */
  | 'CHECKSUM_MISMATCH'
  /** The stored object is shorter or longer than recorded (truncated upload, wrong object). */
  | 'SIZE_MISMATCH'
  /** Decoding succeeded but the raw stream does not hash to the recorded raw sha256. */
  | 'RAW_CHECKSUM_MISMATCH'
  /** Aborted by the signal, the consumer stopped reading, or the input was closed before it ended. */
  | 'CANCELLED'
  /** A recipient or identity is malformed, or no identity was given for an encrypted artifact. Never echoes the key. */
  | 'BAD_KEY'
  /** Options the pipeline cannot honour: unknown codec, compression level out of range. */
  | 'INVALID_OPTIONS';

export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';

  constructor(
    readonly code: ArtifactErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * Whether trying again unchanged could help; callers map false to BullMQ's UnrecoverableError. A failed tool
   * may have hit a transient condition (disk full, OOM kill); a mismatch or a bad key will fail the same way again.
   */
  get retryable(): boolean {
    return this.code === 'TOOL_FAILED';
  }
}

export function isArtifactError(err: unknown, code?: ArtifactErrorCode): err is ArtifactError {
  return err instanceof ArtifactError && (code === undefined || err.code === code);
}
