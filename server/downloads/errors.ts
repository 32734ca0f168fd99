/**
 * Why a download could not start although the point and its object exist: every stored copy failed its size/sha256
 * check (`CHECKSUM_MISMATCH`) or none could be read at all (`OBJECT_UNREADABLE`: missing, storage unreachable). The
 * store behind Lifeboat failed, not the request: the HTTP edge answers 502 (see the download route).
 *
 * Not a `DomainError` code yet: `server/shared/errors.ts` and the status map in `server/http/errors.ts` belong to
 * the whole API; once they carry these two codes (→ 502), this class can become a `DomainError`.
 */
export type DownloadErrorCode = 'CHECKSUM_MISMATCH' | 'OBJECT_UNREADABLE';

export class DownloadError extends Error {
  override readonly name = 'DownloadError';

  constructor(
    readonly code: DownloadErrorCode,
    message: string,
    /** One entry per stored copy tried, in the reading order: where, and what was wrong with it. */
    readonly details: { tried: Array<{ from: string; problem: string }> },
  ) {
    super(message);
  }
}

export const isDownloadError = (e: unknown): e is DownloadError => e instanceof DownloadError;
