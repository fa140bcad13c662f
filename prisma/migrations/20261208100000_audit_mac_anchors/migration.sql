-- The audit chain keyed and anchored: each event records the MAC key that hashed it (null: plain
-- sha256, as every event before keys existed); signed anchors of each tenant's chain head are
-- listed here (the signed objects live in the frame store); verifications record what they found.

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "macKeyId" TEXT;

-- AlterTable
ALTER TABLE "AuditVerification" ADD COLUMN     "anchorsChecked" INTEGER,
ADD COLUMN     "keyed" BOOLEAN,
ADD COLUMN     "unkeyedEvents" INTEGER;

-- CreateTable
CREATE TABLE "AuditAnchor" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "chainIndex" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "signedAt" TIMESTAMP(3) NOT NULL,
    "keyId" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    "storeKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditAnchor_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AuditAnchor_tenantId_chainIndex_key" ON "AuditAnchor"("tenantId", "chainIndex");

-- AddForeignKey
ALTER TABLE "AuditAnchor" ADD CONSTRAINT "AuditAnchor_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Still append-only. The one exception stays: a row written before the chain existed may be
-- chained, once, by setting its chain columns (and the MAC key that hashed it) while everything it
-- records stays exactly as it was.
CREATE OR REPLACE FUNCTION "audit_event_is_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE'
     AND OLD."chainIndex" IS NULL AND OLD."prevHash" IS NULL AND OLD."hash" IS NULL AND OLD."macKeyId" IS NULL
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
