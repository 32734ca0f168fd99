export { createRestoreRequest, restoreFromPoint } from './create-restore-request';
export { approveRestoreRequest, rejectRestoreRequest } from './decide-restore-request';
export { executeRestoreRequest } from './execute-restore-request';
export { cancelRestoreRequest } from './cancel-restore-request';
export { updateRestoreRequest } from './update-restore-request';
export { breakGlassRestoreRequest, acknowledgeBreakGlass } from './break-glass';
export { listRestoreRequests, getRestoreRequest } from './list-restore-requests';
export { expireRestoreRequests } from './expire-restore-requests';
export {
  CreateRestoreRequestInput,
  RestoreFromPointInput,
  UpdateRestoreRequestInput,
  DecideInput,
  BreakGlassInput,
  ListRestoreRequestsInput,
  RESTORE_REQUEST_STATUSES,
} from './inputs';
export { approvalRuleFor, paramsHash } from './rules';
export type { RestoreRequestDto } from './dto';
