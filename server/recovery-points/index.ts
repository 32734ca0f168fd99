export { listRecoveryPoints } from './list-recovery-points';
export { getRecoveryPoint } from './get-recovery-point';
export { requestVerify } from './request-verify';
export { markPointVerified, recordVerifyFailure } from './record-verify-result';
export type { RecoveryPointDto } from './recovery-point-dto';
export { protectionStatus, computeProtection, type ProtectionStatus } from './protection-status';
