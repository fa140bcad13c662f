-- Tamper-evident audit log (issue 6): each tenant's audit events form a hash chain.
-- chainIndex counts 1, 2, 3, … per tenant; prevHash is the previous event's hash; hash is sha256 over
-- the event's canonical encoding (computed by the application, src/services/audit-chain.ts). Rows
-- written before this migration are chained by `vigil migrate` right after it (in createdAt, id order).

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "chainIndex" INTEGER,
ADD COLUMN     "hash" TEXT,
ADD COLUMN     "prevHash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_tenantId_chainIndex_key" ON "AuditEvent"("tenantId", "chainIndex");

-- Still append-only, with one exception: a row written before the chain existed may be chained, once,
-- by setting its three chain columns while everything it records stays exactly as it was.
CREATE OR REPLACE FUNCTION "audit_event_is_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE'
     AND OLD."chainIndex" IS NULL AND OLD."prevHash" IS NULL AND OLD."hash" IS NULL
     AND NEW."chainIndex" IS NOT NULL AND NEW."hash" IS NOT NULL
     AND (NEW."id", NEW."tenantId", NEW."actorType", NEW."actorId", NEW."action",
          NEW."entityType", NEW."entityId", NEW."data", NEW."createdAt")
         IS NOT DISTINCT FROM
         (OLD."id", OLD."tenantId", OLD."actorType", OLD."actorId", OLD."action",
          OLD."entityType", OLD."entityId", OLD."data", OLD."createdAt")
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'AuditEvent rows are append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
