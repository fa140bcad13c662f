-- The review loop: incidents that end (closedAt, closeReason) with bounded evidence (a firing per
-- row in IncidentFiring, a sample of keyframes on the incident, and its clip), decisions that name
-- a chosen policy reason and their decider (a person or an API key with the review scope), notes
-- on review items, the decide deadline counted from the claim (claimedAt), a queue's policy for
-- items of streams no longer live, and a tenant's default template for new streams.
-- CreateEnum
CREATE TYPE "NotLivePolicy" AS ENUM ('ESCALATE', 'PAUSE');

-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "defaultTemplateId" UUID;

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "Incident" ADD COLUMN     "clipBuiltAt" TIMESTAMP(3),
ADD COLUMN     "clipBytes" INTEGER,
ADD COLUMN     "clipFrames" INTEGER,
ADD COLUMN     "clipSha256" TEXT,
ADD COLUMN     "clipStorageKey" TEXT,
ADD COLUMN     "closeReason" TEXT,
ADD COLUMN     "closedAt" TIMESTAMP(3),
ADD COLUMN     "keyframeIds" UUID[];

-- AlterTable
ALTER TABLE "ReviewQueue" ADD COLUMN     "whenStreamNotLive" "NotLivePolicy" NOT NULL DEFAULT 'ESCALATE';

-- AlterTable
ALTER TABLE "ReviewItem" ADD COLUMN     "assigneeApiKeyId" UUID,
ADD COLUMN     "claimedAt" TIMESTAMP(3),
ADD COLUMN     "decidedByApiKeyId" UUID,
ADD COLUMN     "policy" TEXT,
ADD COLUMN     "policyReasonId" UUID;

-- CreateTable
CREATE TABLE "IncidentFiring" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "incidentId" UUID NOT NULL,
    "ruleId" UUID NOT NULL,
    "analysisId" UUID NOT NULL,
    "windowId" UUID NOT NULL,
    "startAt" TIMESTAMP(3) NOT NULL,
    "endAt" TIMESTAMP(3) NOT NULL,
    "severity" TEXT,
    "confidence" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IncidentFiring_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PolicyReason" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "policy" TEXT NOT NULL DEFAULT '',
    "decisions" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "archivedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PolicyReason_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReviewNote" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "reviewItemId" UUID NOT NULL,
    "authorType" TEXT NOT NULL,
    "authorId" UUID,
    "text" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReviewNote_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "IncidentFiring_tenantId_incidentId_startAt_idx" ON "IncidentFiring"("tenantId", "incidentId", "startAt");

-- CreateIndex
CREATE INDEX "IncidentFiring_tenantId_windowId_idx" ON "IncidentFiring"("tenantId", "windowId");

-- CreateIndex
CREATE UNIQUE INDEX "IncidentFiring_tenantId_id_key" ON "IncidentFiring"("tenantId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "IncidentFiring_tenantId_ruleId_analysisId_key" ON "IncidentFiring"("tenantId", "ruleId", "analysisId");

-- CreateIndex
CREATE UNIQUE INDEX "PolicyReason_tenantId_id_key" ON "PolicyReason"("tenantId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "PolicyReason_tenantId_label_key" ON "PolicyReason"("tenantId", "label");

-- CreateIndex
CREATE INDEX "ReviewNote_tenantId_reviewItemId_createdAt_idx" ON "ReviewNote"("tenantId", "reviewItemId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ReviewNote_tenantId_id_key" ON "ReviewNote"("tenantId", "id");

-- CreateIndex
CREATE INDEX "Incident_tenantId_status_lastFiredAt_idx" ON "Incident"("tenantId", "status", "lastFiredAt");

-- AddForeignKey
ALTER TABLE "IncidentFiring" ADD CONSTRAINT "IncidentFiring_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IncidentFiring" ADD CONSTRAINT "IncidentFiring_tenantId_incidentId_fkey" FOREIGN KEY ("tenantId", "incidentId") REFERENCES "Incident"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PolicyReason" ADD CONSTRAINT "PolicyReason_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewNote" ADD CONSTRAINT "ReviewNote_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewNote" ADD CONSTRAINT "ReviewNote_tenantId_reviewItemId_fkey" FOREIGN KEY ("tenantId", "reviewItemId") REFERENCES "ReviewItem"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Existing incidents keep their evidence: one firing row per analysis they listed, and up to 12 of
-- their frames as keyframes (evenly spread). Closed ones count as closed when last updated.
INSERT INTO "IncidentFiring" ("id", "tenantId", "incidentId", "ruleId", "analysisId", "windowId", "startAt", "endAt", "severity", "confidence", "createdAt")
SELECT gen_random_uuid(), i."tenantId", i."id", i."ruleId", a."id", a."windowId", w."startAt", w."endAt", i."severity", i."confidence", a."createdAt"
FROM "Incident" i
CROSS JOIN LATERAL unnest(i."analysisIds") AS listed("analysisId")
JOIN "Analysis" a ON a."id" = listed."analysisId" AND a."tenantId" = i."tenantId"
JOIN "Window" w ON w."id" = a."windowId" AND w."tenantId" = i."tenantId"
ON CONFLICT DO NOTHING;

UPDATE "Incident" i SET "keyframeIds" = COALESCE((
  SELECT array_agg(f ORDER BY n) FROM (
    SELECT f, n, count(*) OVER () AS total FROM unnest(i."frameIds") WITH ORDINALITY AS t(f, n)
  ) numbered
  WHERE total <= 12 OR (n - 1) % ceil(total / 12.0)::int = 0
), ARRAY[]::UUID[]);

UPDATE "Incident" SET "closedAt" = "updatedAt" WHERE "status" = 'CLOSED';

ALTER TABLE "Incident" DROP COLUMN "analysisIds",
DROP COLUMN "frameIds",
DROP COLUMN "windowIds";
