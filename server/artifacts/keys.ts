import { generateX25519Identity, identityToRecipient } from 'age-encryption';

import { ArtifactError } from './errors';

// Bech32 alphabet; an X25519 key is 32 bytes = 52 characters plus a 6-character checksum.
const BECH32 = '[qpzry9x8gf2tvdw0s3jn54khce6mua7l]';
const RECIPIENT_PATTERN = new RegExp(`^age1${BECH32}{58}$`);
const IDENTITY_PATTERN = new RegExp(`^AGE-SECRET-KEY-1${BECH32.toUpperCase()}{58}$`);

export interface AgeKeyPair {
  /** The secret half, `AGE-SECRET-KEY-1…`: goes into the recovery kit, never into argv, logs or job payloads. */
  identity: string;
  /** The public half, `age1…`: safe to store in plain columns and manifests. */
  recipient: string;
}

/**
 * A new X25519 age key pair, in-process (no subprocess means the secret never crosses a pipe). X25519 rather
 * than the post-quantum hybrid keys because age CLIs before 1.3 (Debian 12 ships 1.1) cannot read the latter,
 * and a backup must stay restorable with the distribution's own `age`.
 */
export async function generateIdentity(): Promise<AgeKeyPair> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await recipientOf(identity) };
}

/** The `age1…` recipient of an `AGE-SECRET-KEY-1…` identity (what `age-keygen -y` prints). Throws `BAD_KEY`. */
export async function recipientOf(identity: string): Promise<string> {
  assertIdentity(identity);
  try {
    return await identityToRecipient(identity);
  } catch (err) {
    // The library's message may quote the key; ours never does.
    throw new ArtifactError('BAD_KEY', 'the age identity is not valid (bad checksum or encoding)', { cause: scrub(err) });
  }
}

export function isRecipient(value: unknown): value is string {
  return typeof value === 'string' && RECIPIENT_PATTERN.test(value);
}

export function isIdentity(value: unknown): value is string {
  return typeof value === 'string' && IDENTITY_PATTERN.test(value);
}

/** Throws `BAD_KEY` unless `value` looks like an X25519 recipient. Quotes a prefix only: enough to spot a paste error. */
export function assertRecipient(value: unknown): asserts value is string {
  if (!isRecipient(value)) {
    const shown = typeof value === 'string' ? `"${value.slice(0, 8)}…"` : typeof value;
    throw new ArtifactError('BAD_KEY', `not an age X25519 recipient (expected age1 followed by 58 characters): ${shown}`);
  }
}

/** Throws `BAD_KEY` unless `value` looks like an X25519 identity. Never quotes any of it: it is a secret. */
export function assertIdentity(value: unknown): asserts value is string {
  if (!isIdentity(value)) {
    throw new ArtifactError('BAD_KEY', 'not an age X25519 identity (expected AGE-SECRET-KEY-1 followed by 58 characters)');
  }
}

function scrub(err: unknown): Error {
  return new Error(err instanceof Error ? err.name : 'invalid identity');
}
