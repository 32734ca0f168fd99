import crypto from 'node:crypto';
import type { EngineDefinition } from '@/server/engines/engine';
import { canonicalJson } from '@/server/approvals/rules';
import { DomainError } from '@/server/shared/errors';
import { masterKey, openSecret, sealSecret } from '@/server/shared/secrets';

/**
 * Credentials inside a restore target (a Redis replay target's `password`). The engine names its secret fields
 * (`restoreSecretFields`, and every `password` field of its `restoreForm`); the restore verbs store the target with
 * each given secret field replaced by `SEALED` and keep the values sealed under the master key: on the restore
 * request bound to `restore-request:<id>`, then on the run bound to `run-target:<id>`, where only the restoring worker
 * opens them (workers/restore/run-restore.ts merges them back into the target). The marker tells the audit trail and
 * the approvers that a password was given, never which.
 */
export const SEALED = '(sealed)';

export type TargetSecrets = Record<string, unknown>;

/** The additional data a request's sealed target secrets are bound to. */
export const requestSecretsContext = (requestId: string) => `restore-request:${requestId}`;
/** The additional data a run's sealed target secrets are bound to (what the restore worker opens them with). */
export const runSecretsContext = (runId: string) => `run-target:${runId}`;

/** The keys of `engine`'s restore target that are credentials. */
export function restoreSecretFields(engine: Pick<EngineDefinition, 'restoreSecretFields' | 'restoreForm'>): string[] {
  const fields = new Set(engine.restoreSecretFields ?? []);
  for (const f of engine.restoreForm) if (f.type === 'password') fields.add(f.name);
  return [...fields];
}

/**
 * Puts the sealed values back where a secret field of `raw` holds the marker: a stored target (and an edit that
 * leaves a secret field as the request shows it, `"(sealed)"`) means "the value already sealed". A marker without a
 * sealed value to put there is refused (422 naming the field): type the secret again. Other fields are left as they
 * are (a database may well be called "(sealed)").
 */
export function unsealTarget(raw: Record<string, unknown>, sealed: TargetSecrets, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  const missing: string[] = [];
  for (const key of fields) {
    if (raw[key] !== SEALED) continue;
    if (key in sealed) out[key] = sealed[key];
    else missing.push(key);
  }
  if (missing.length > 0) {
    const issues = missing.map((key) => ({ path: ['target', key], message: `"${SEALED}" stands for a value sealed with an earlier version of this request, and there is none: type it again` }));
    throw new DomainError('VALIDATION', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), { issues });
  }
  return out;
}

/** Splits a parsed target into what is stored (secret fields given → the marker) and the secret values. */
export function splitTarget(fields: readonly string[], parsed: Record<string, unknown>): { target: Record<string, unknown>; secrets: TargetSecrets } {
  const target: Record<string, unknown> = { ...parsed };
  const secrets: TargetSecrets = {};
  for (const key of fields) {
    if (parsed[key] === undefined) continue;
    secrets[key] = parsed[key];
    target[key] = SEALED;
  }
  return { target, secrets };
}

/** The stored target with its sealed values merged back (what the engine's check and the worker see). */
export const mergedTarget = (target: Record<string, unknown>, secrets: TargetSecrets): Record<string, unknown> => ({ ...target, ...secrets });

export const hasSecrets = (secrets: TargetSecrets): boolean => Object.keys(secrets).length > 0;

/** Seals `secrets` bound to `context`; null when there are none (the column stays empty). */
export function sealTargetSecrets(secrets: TargetSecrets, context: string): string | null {
  return hasSecrets(secrets) ? sealSecret(secrets, context) : null;
}

/** Opens a row's sealed target secrets; none when the column is empty. A blob that does not open is refused (409). */
export function openTargetSecrets(sealed: string | null, context: string): TargetSecrets {
  if (sealed === null) return {};
  try {
    return openSecret<TargetSecrets>(sealed, context);
  } catch {
    throw new DomainError('INVALID_STATE', `the restore target's sealed credentials cannot be opened (${context}): was the master key changed? Edit the target and type them again`);
  }
}

// HKDF info: a key of its own for these digests, so they never equal any other MAC made with the master key.
const DIGEST_INFO = 'restore-target-secrets-v1';
let digestKey: Buffer | undefined;

/**
 * A keyed digest of the secret values (HMAC-SHA256 under a key derived from the master key), bound into the
 * request's `paramsHash`: an edit of a password voids the approvals, and the hash, stored in clear with every
 * decision, says nothing about the password (a plain sha256 of it could be guessed offline). Undefined without secrets,
 * so targets without any hash as before.
 */
export function secretsDigest(secrets: TargetSecrets): string | undefined {
  if (!hasSecrets(secrets)) return undefined;
  digestKey ??= Buffer.from(crypto.hkdfSync('sha256', masterKey(), Buffer.from('lifeboat-restore-target'), Buffer.from(DIGEST_INFO), 32));
  return crypto.createHmac('sha256', digestKey).update(canonicalJson(secrets)).digest('hex');
}
