import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret } from './secrets';

const key = crypto.randomBytes(32);

describe('secrets', () => {
  it('round-trips a value and never contains the plaintext', () => {
    const sealed = sealSecret({ password: 'hunter2' }, 'source:1', key);
    expect(sealed).not.toContain('hunter2');
    expect(openSecret(sealed, 'source:1', key)).toEqual({ password: 'hunter2' });
  });

  it('refuses a blob moved to another row or a tampered blob', () => {
    const sealed = sealSecret({ password: 'x' }, 'source:1', key);
    expect(() => openSecret(sealed, 'source:2', key)).toThrow();
    const parts = sealed.split(':');
    parts[3] = Buffer.from('tampered').toString('base64');
    expect(() => openSecret(parts.join(':'), 'source:1', key)).toThrow();
  });

  it('refuses the wrong key', () => {
    const sealed = sealSecret({ a: 1 }, 'c', key);
    expect(() => openSecret(sealed, 'c', crypto.randomBytes(32))).toThrow();
  });
});
