-- Rules, incidents, review queues, alerts and webhooks (issue 5).

-- CreateEnum
CREATE TYPE "IncidentStatus" AS ENUM ('OPEN', 'CLOSED');

-- CreateEnum
CREATE TYPE "ReviewStatus" AS ENUM ('OPEN', 'CLAIMED', 'HELD', 'ESCALATED', 'RESOLVED');

-- CreateEnum
CREATE TYPE "ReviewDecision" AS ENUM ('DISMISS', 'CONFIRM_VIOLATION', 'ESCALATE', 'STOP_STREAM', 'AUTO_DISMISS');

-- CreateEnum
CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('PENDING', 'DELIVERED', 'DEAD');

-- AlterTable
ALTER TABLE "Analysis" ADD COLUMN     "rulesEvaluatedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "Incident" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "streamId" UUID NOT NULL,
    "ruleId" UUID NOT NULL,
    "status" "IncidentStatus" NOT NULL DEFAULT 'OPEN',
    "startAt" TIMESTAMP(3) NOT NULL,
    "endAt" TIMESTAMP(3) NOT NULL,
    "lastFiredAt" TIMESTAMP(3) NOT NULL,
    "windowIds" UUID[],
    "analysisIds" UUID[],
    "frameIds" UUID[],
    "firings" INTEGER NOT NULL DEFAULT 1,
    "severity" TEXT,
    "confidence" DOUBLE PRECISION,
    "summary" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Incident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReviewQueue" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "claimWithinSeconds" INTEGER NOT NULL DEFAULT 300,
    "decideWithinSeconds" INTEGER NOT NULL DEFAULT 900,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ReviewQueue_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReviewItem" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "incidentId" UUID NOT NULL,
    "streamId" UUID NOT NULL,
    "queue" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "status" "ReviewStatus" NOT NULL DEFAULT 'OPEN',
    "assigneeId" UUID,
    "claimExpiresAt" TIMESTAMP(3),
    "claimDueAt" TIMESTAMP(3),
    "decideDueAt" TIMESTAMP(3),
    "escalatedAt" TIMESTAMP(3),
    "decision" "ReviewDecision",
    "reason" TEXT,
    "notes" TEXT,
    "decidedById" UUID,
    "decidedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ReviewItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "incidentId" UUID NOT NULL,
    "streamId" UUID NOT NULL,
    "ruleId" UUID NOT NULL,
    "severity" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookEndpoint" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "secretEncrypted" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookEndpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "endpointId" UUID NOT NULL,
    "event" TEXT NOT NULL,
    "eventKey" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastStatus" INTEGER,
    "lastError" TEXT,
    "nextAttemptAt" TIMESTAMP(3),
    "deliveredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Incident_tenantId_streamId_ruleId_status_lastFiredAt_idx" ON "Incident"("tenantId", "streamId", "ruleId", "status", "lastFiredAt");

-- CreateIndex
CREATE INDEX "Incident_tenantId_createdAt_idx" ON "Incident"("tenantId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Incident_tenantId_id_key" ON "Incident"("tenantId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ReviewQueue_tenantId_id_key" ON "ReviewQueue"("tenantId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ReviewQueue_tenantId_name_key" ON "ReviewQueue"("tenantId", "name");

-- CreateIndex
CREATE INDEX "ReviewItem_tenantId_queue_status_priority_idx" ON "ReviewItem"("tenantId", "queue", "status", "priority");

-- CreateIndex
CREATE INDEX "ReviewItem_tenantId_status_claimExpiresAt_idx" ON "ReviewItem"("tenantId", "status", "claimExpiresAt");

-- CreateIndex
CREATE INDEX "ReviewItem_tenantId_assigneeId_status_idx" ON "ReviewItem"("tenantId", "assigneeId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "ReviewItem_tenantId_id_key" ON "ReviewItem"("tenantId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ReviewItem_tenantId_incidentId_key" ON "ReviewItem"("tenantId", "incidentId");

-- CreateIndex
CREATE INDEX "Alert_tenantId_createdAt_idx" ON "Alert"("tenantId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_tenantId_id_key" ON "Alert"("tenantId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_tenantId_incidentId_ruleId_key" ON "Alert"("tenantId", "incidentId", "ruleId");

-- CreateIndex
CREATE INDEX "WebhookEndpoint_tenantId_createdAt_idx" ON "WebhookEndpoint"("tenantId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookEndpoint_tenantId_id_key" ON "WebhookEndpoint"("tenantId", "id");

-- CreateIndex
CREATE INDEX "WebhookDelivery_tenantId_status_createdAt_idx" ON "WebhookDelivery"("tenantId", "status", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_tenantId_id_key" ON "WebhookDelivery"("tenantId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_tenantId_endpointId_eventKey_key" ON "WebhookDelivery"("tenantId", "endpointId", "eventKey");

-- CreateIndex
CREATE UNIQUE INDEX "Rule_tenantId_id_key" ON "Rule"("tenantId", "id");

-- AddForeignKey
ALTER TABLE "Incident" ADD CONSTRAINT "Incident_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Incident" ADD CONSTRAINT "Incident_tenantId_streamId_fkey" FOREIGN KEY ("tenantId", "streamId") REFERENCES "Stream"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Incident" ADD CONSTRAINT "Incident_tenantId_ruleId_fkey" FOREIGN KEY ("tenantId", "ruleId") REFERENCES "Rule"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewQueue" ADD CONSTRAINT "ReviewQueue_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewItem" ADD CONSTRAINT "ReviewItem_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewItem" ADD CONSTRAINT "ReviewItem_tenantId_incidentId_fkey" FOREIGN KEY ("tenantId", "incidentId") REFERENCES "Incident"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewItem" ADD CONSTRAINT "ReviewItem_tenantId_streamId_fkey" FOREIGN KEY ("tenantId", "streamId") REFERENCES "Stream"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_tenantId_incidentId_fkey" FOREIGN KEY ("tenantId", "incidentId") REFERENCES "Incident"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookEndpoint" ADD CONSTRAINT "WebhookEndpoint_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_tenantId_endpointId_fkey" FOREIGN KEY ("tenantId", "endpointId") REFERENCES "WebhookEndpoint"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

