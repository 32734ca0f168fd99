export { AUDIT_ACTIONS, AuditAction, isAuditAction } from './actions';
export { recordAudit, recordAuditMany, AUDIT_RESULTS, type AuditInput, type AuditResult } from './record-audit';
export { verifyAuditChain, verifyAuditTrail, type ChainReport, type FirstBad, type AuditProblem } from './verify-audit-chain';
export { anchorAuditHead, listAuditAnchors, type AnchorResult } from './anchor-audit-head';
export type { AnchorCheck } from './anchors';
export { runAuditCheck, onAuditVerifyFailure, reportAuditFailure } from './daily-audit-check';
export { listAuditEvents } from './list-audit-events';
