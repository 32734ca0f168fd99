export { listRecoveryPoints } from './list-recovery-points';
export type { RecoveryPointDto } from './recovery-point-dto';
