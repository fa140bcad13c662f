-- Verifications of a tenant's audit chain run as jobs, with their progress and outcome.

-- CreateEnum
CREATE TYPE "AuditVerificationStatus" AS ENUM ('QUEUED', 'RUNNING', 'DONE', 'FAILED');

-- CreateTable
CREATE TABLE "AuditVerification" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "status" "AuditVerificationStatus" NOT NULL DEFAULT 'QUEUED',
    "requestedByType" TEXT NOT NULL,
    "requestedById" TEXT NOT NULL,
    "eventsTotal" INTEGER NOT NULL,
    "eventsChecked" INTEGER NOT NULL DEFAULT 0,
    "ok" BOOLEAN,
    "headHash" TEXT,
    "firstBrokenEventId" UUID,
    "firstBrokenChainIndex" INTEGER,
    "reason" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "AuditVerification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AuditVerification_tenantId_status_idx" ON "AuditVerification"("tenantId", "status");

-- AddForeignKey
ALTER TABLE "AuditVerification" ADD CONSTRAINT "AuditVerification_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

