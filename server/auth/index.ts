export { authOptions } from './auth-options';
export { authorize, can, SYSTEM_ACTOR, ROLES, type Actor, type Role, type Permission } from './permissions';
export { createApiToken, listApiTokens, authenticateApiToken } from './api-tokens';
export { createOwnApiToken } from './create-own-api-token';
export { createUser, actorForUser } from './users';
