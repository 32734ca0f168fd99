import { describe, expect, it } from 'vitest';

import { isArtifactError } from './errors';
import { assertRecipient, generateIdentity, isIdentity, isRecipient, recipientOf } from './keys';

async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('keys', () => {
  it('generates X25519 key pairs whose halves belong together', async () => {
    const a = await generateIdentity();
    const b = await generateIdentity();
    expect(isIdentity(a.identity)).toBe(true);
    expect(isRecipient(a.recipient)).toBe(true);
    expect(a.identity).not.toBe(b.identity);
    expect(await recipientOf(a.identity)).toBe(a.recipient);
    expect(await recipientOf(b.identity)).toBe(b.recipient);
  });

  it('refuses a malformed identity without echoing any of it', async () => {
    const { identity } = await generateIdentity();
    // Same alphabet and length, one character changed: only the bech32 checksum can tell.
    const last = identity.at(-1) === 'Q' ? 'P' : 'Q';
    const tampered = identity.slice(0, -1) + last;
    for (const bad of [tampered, 'AGE-SECRET-KEY-1', identity.toLowerCase(), `${identity}\n`, 'age1abc']) {
      const err = await errorOf(() => recipientOf(bad));
      expect(isArtifactError(err, 'BAD_KEY'), JSON.stringify(bad.slice(0, 20))).toBe(true);
      const text = `${(err as Error).message} ${String((err as Error).cause)}`;
      expect(text).not.toContain(identity.slice(16, 40));
    }
  });

  it('accepts only X25519 recipients, quoting just a prefix of a bad one', async () => {
    const { recipient } = await generateIdentity();
    expect(() => assertRecipient(recipient)).not.toThrow();
    for (const bad of ['', 'age1', `${recipient}x`, recipient.toUpperCase(), '-r', 'ssh-ed25519 AAAAC3Nza', 42]) {
      const err = await errorOf(() => assertRecipient(bad));
      expect(isArtifactError(err, 'BAD_KEY'), String(bad)).toBe(true);
    }
  });
});
