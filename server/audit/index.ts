export { AUDIT_ACTIONS, AuditAction, isAuditAction } from './actions';
export { recordAudit, type AuditInput } from './record-audit';
export { verifyAuditChain, type ChainReport } from './verify-audit-chain';
export { listAuditEvents } from './list-audit-events';
