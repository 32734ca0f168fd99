export { authOptions, oidcSignIn } from './auth-options';
export { authorize, can, SYSTEM_ACTOR, ROLES, type Actor, type Role, type Permission } from './permissions';
export { createApiToken, listApiTokens, authenticateApiToken, revokeApiToken } from './api-tokens';
export { createOwnApiToken } from './create-own-api-token';
export { createUser, actorForUser } from './users';
export { listUsers, updateUser, type UserDto } from './manage-users';
