-- The audit trail is append-only for every role, migrations included: a row trigger refuses UPDATE and DELETE, a
-- statement trigger refuses TRUNCATE (row triggers never see it). Both are ENABLE ALWAYS, so
-- `SET session_replication_role = replica` does not switch them off; only the table's owner or a superuser can,
-- with `ALTER TABLE ... DISABLE TRIGGER`, and what they change then is what `lifeboat audit-verify` detects (the
-- HMAC chain and the anchors on the destinations). A future migration that must touch old rows has to disable the
-- triggers explicitly, in plain sight.
CREATE FUNCTION "audit_event_append_only"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only: % on "AuditEvent" is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'audit events are only ever inserted (server/audit/record-audit.ts)';
END;
$$;

CREATE TRIGGER "AuditEvent_no_update_delete"
  BEFORE UPDATE OR DELETE ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION "audit_event_append_only"();

CREATE TRIGGER "AuditEvent_no_truncate"
  BEFORE TRUNCATE ON "AuditEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_append_only"();

ALTER TABLE "AuditEvent" ENABLE ALWAYS TRIGGER "AuditEvent_no_update_delete";
ALTER TABLE "AuditEvent" ENABLE ALWAYS TRIGGER "AuditEvent_no_truncate";
