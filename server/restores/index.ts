export {
  requestRestore,
  prepareRestore,
  checkRestoreTargetOf,
  createRestoreRun,
  RequestRestoreInput,
  RecoveryPointId,
  type PreparedRestore,
  type CreateRestoreRunInput,
} from './request-restore';
