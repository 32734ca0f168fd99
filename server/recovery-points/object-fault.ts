import { z } from 'zod';

/**
 * How one stored object of a recovery point failed its last verification (`verifyFault` on the point for its
 * primary, on a RecoveryPointCopy for a copy). Recorded as a code beside the full message, so readers (the DTO,
 * 3-2-1-1-0, the dashboard) never have to parse error text.
 */
export const ObjectFault = z.enum(['MISSING', 'SIZE_MISMATCH', 'SHA256_MISMATCH', 'UNREADABLE']);
export type ObjectFault = z.infer<typeof ObjectFault>;

const WORDS: Record<ObjectFault, string> = {
  MISSING: 'missing',
  SIZE_MISMATCH: 'size mismatch',
  SHA256_MISMATCH: 'sha256 mismatch',
  UNREADABLE: 'unreadable',
};

/** A few words for a fault read back from the catalog ("sha256 mismatch"); a value this build does not know reads "failed". */
export function faultWords(fault: string | null): string {
  const parsed = ObjectFault.safeParse(fault);
  return parsed.success ? WORDS[parsed.data] : 'failed';
}

/** The outcome of one object's size and sha256 check in a verify run. */
export type ObjectCheck =
  | { role: 'primary'; copyId: null; ok: true }
  | { role: 'copy'; copyId: string; ok: true }
  | { role: 'primary'; copyId: null; ok: false; fault: ObjectFault; error: string }
  | { role: 'copy'; copyId: string; ok: false; fault: ObjectFault; error: string };
