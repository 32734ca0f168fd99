import type { RestoreRequestDto } from '@/server/approvals';

/** A restore request as the API returns it (`toRestoreRequestDto`); approve answers may add `executionError`. */
export type RestoreRequest = RestoreRequestDto & { executionError?: { code: string; message: string } };
export type RestoreRequestDecision = RestoreRequest['decisions'][number];
export type RestoreRequestStatus = RestoreRequest['status'];
