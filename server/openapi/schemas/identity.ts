import { z } from '../zod';
import { IsoDateTime, Role, Uuid } from './common';

/** server/auth/api-tokens.ts, toTokenDto: never the secret. */
export const ApiToken = z.object({
  id: Uuid,
  name: z.string(),
  role: Role,
  prefix: z.string(),
  owner: z.string(),
  createdAt: IsoDateTime,
  lastUsedAt: IsoDateTime.nullable(),
  expiresAt: IsoDateTime.nullable(),
  revokedAt: IsoDateTime.nullable(),
}).openapi('ApiToken');

/** `POST /tokens`: the token itself, shown this once. */
export const NewApiToken = z.object({
  id: Uuid,
  name: z.string(),
  role: Role,
  prefix: z.string(),
  token: z.string().openapi({ description: 'The bearer token (`lbt_…`): shown once, never stored' }),
  expiresAt: IsoDateTime.nullable(),
}).openapi('NewApiToken');

/** server/auth/manage-users.ts, toUserDto: never a hash. */
export const User = z.object({
  id: Uuid,
  email: z.string(),
  name: z.string(),
  role: Role,
  disabled: z.boolean(),
  signIn: z.array(z.enum(['password', 'oidc'])),
  lastSignInAt: IsoDateTime.nullable(),
  createdAt: IsoDateTime,
}).openapi('User');

/** server/keys/key-dto.ts, toKeyDto: the public recipient, never the identity. */
export const EncryptionKey = z.object({
  id: Uuid,
  name: z.string(),
  recipient: z.string(),
  active: z.boolean(),
  readable: z.boolean(),
  createdAt: IsoDateTime,
  retiredAt: IsoDateTime.nullable(),
  shreddedAt: IsoDateTime.nullable(),
  recoveryPointCount: z.number().int().optional(),
}).openapi('EncryptionKey');
