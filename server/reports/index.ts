export { getBackupReport, GetBackupReportInput, type BackupReport, type BackupReportRow } from './get-backup-report';
export type { OutcomeCounts } from './outcome-counts';
