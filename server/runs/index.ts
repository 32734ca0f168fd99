export { requestBackup } from './request-backup';
export { getRun } from './get-run';
export { listRuns } from './list-runs';
export { listRunLogs } from './list-run-logs';
export { cancelRun } from './cancel-run';
export { progressChannel, parseProgress, type RunProgressEvent } from './progress';
export type { RunDto } from './run-dto';
export { watchRun } from './watch-run';
export { stopRunInstance } from './stop-run-instance';
