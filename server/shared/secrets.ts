import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { env } from './env';

const KEY_BYTES = 32; // AES-256
const IV_BYTES = 12; // the GCM standard nonce size
let cachedKey: Buffer | undefined;

/**
 * The master key protects secrets stored in the catalog. It comes from LIFEBOAT_MASTER_KEY (64 hex chars or base64 of
 * 32 bytes; any other string is stretched with scrypt) or from a key file under the data directory, created on first
 * use with mode 0600. Losing it makes stored source passwords unreadable (backups themselves are unaffected).
 */
export function masterKey(): Buffer {
  if (cachedKey) return cachedKey;
  const fromEnv = env().LIFEBOAT_MASTER_KEY;
  if (fromEnv) {
    cachedKey = parseKey(fromEnv);
  } else {
    const file = path.join(env().LIFEBOAT_DATA_DIR, 'master.key');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      // 'wx' so that two processes starting together never overwrite each other's key.
      fs.writeFileSync(file, crypto.randomBytes(KEY_BYTES).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    cachedKey = parseKey(fs.readFileSync(file, 'utf8').trim());
  }
  return cachedKey;
}

function parseKey(raw: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  const b64 = Buffer.from(raw, 'base64');
  if (b64.length === KEY_BYTES && /^[A-Za-z0-9+/=]+$/.test(raw)) return b64;
  // A passphrase: stretch it. The fixed salt is acceptable because the output is a key, not a password hash to compare.
  return crypto.scryptSync(raw, 'lifeboat-master-key-v1', KEY_BYTES);
}

/** Encrypts a JSON value with AES-256-GCM; `context` is bound as additional data so a blob cannot move between rows. */
export function sealSecret(value: unknown, context: string, key: Buffer = masterKey()): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
}

export function openSecret<T = unknown>(sealed: string, context: string, key: Buffer = masterKey()): T {
  const [version, iv, tag, body] = sealed.split(':');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unrecognised secret format');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as T;
}
