-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "createdByApiKeyId" UUID,
ADD COLUMN     "createdByUserId" UUID;

-- CreateIndex
CREATE INDEX "ApiKey_tenantId_createdByUserId_idx" ON "ApiKey"("tenantId", "createdByUserId");

-- CreateIndex
CREATE INDEX "ApiKey_tenantId_createdByApiKeyId_idx" ON "ApiKey"("tenantId", "createdByApiKeyId");


-- Keys made before their creator was recorded: the audit chain names who made each one.
UPDATE "ApiKey" AS k
SET "createdByUserId" = CASE WHEN e."actorType" = 'user' THEN e."actorId"::uuid END,
    "createdByApiKeyId" = CASE WHEN e."actorType" = 'apiKey' THEN e."actorId"::uuid END
FROM "AuditEvent" AS e
WHERE e."tenantId" = k."tenantId"
  AND e."action" = 'apiKey.create'
  AND e."entityType" = 'ApiKey'
  AND e."entityId" = k."id"::text
  AND e."actorType" IN ('user', 'apiKey');
