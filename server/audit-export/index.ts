export { AuditEventFilter, auditEventWhere } from './filter';
export {
  AUDIT_EXPORT_FORMATS,
  EXPORT_COLUMNS,
  EXPORT_PAGE_SIZE,
  ExportAuditEventsInput,
  auditEventPages,
  auditExportStream,
  exportAuditEvents,
  type AuditExport,
  type AuditExportFormat,
  type ExportedEvent,
} from './export-audit-events';
