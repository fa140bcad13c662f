-- Inference (issue 4): analyses, monthly usage counters, run-time GPU nodes, template gates, tenant budgets.

-- CreateEnum
CREATE TYPE "AnalysisMode" AS ENUM ('VLM', 'LOCAL');

-- CreateEnum
CREATE TYPE "AnalysisStatus" AS ENUM ('RUNNING', 'DONE', 'FAILED', 'GATED', 'DEGRADED');

-- CreateEnum
CREATE TYPE "OverBudgetAction" AS ENUM ('LOCAL', 'PAUSE');

-- CreateEnum
CREATE TYPE "InferenceNodeState" AS ENUM ('ACTIVE', 'DRAINING');

-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "budgetExhaustedMonth" TEXT,
ADD COLUMN     "overBudgetAction" "OverBudgetAction" NOT NULL DEFAULT 'LOCAL',
ADD COLUMN     "policyText" TEXT NOT NULL DEFAULT '';

-- AlterTable
ALTER TABLE "PromptTemplateVersion" ADD COLUMN     "gateMinConfidence" DOUBLE PRECISION NOT NULL DEFAULT 0.5,
ADD COLUMN     "gateNsfw" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "gateObjects" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "reanalyseDegraded" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "Analysis" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "streamId" UUID NOT NULL,
    "windowId" UUID NOT NULL,
    "templateVersionId" UUID NOT NULL,
    "mode" "AnalysisMode" NOT NULL,
    "status" "AnalysisStatus" NOT NULL DEFAULT 'RUNNING',
    "nodeName" TEXT,
    "model" TEXT,
    "result" JSONB,
    "reasoning" TEXT NOT NULL DEFAULT '',
    "finishReason" TEXT,
    "framesSent" INTEGER NOT NULL DEFAULT 0,
    "visionTokens" INTEGER NOT NULL DEFAULT 0,
    "promptTokens" INTEGER NOT NULL DEFAULT 0,
    "completionTokens" INTEGER NOT NULL DEFAULT 0,
    "reasoningTokens" INTEGER NOT NULL DEFAULT 0,
    "latencyMs" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Analysis_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UsageCounter" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "streamId" UUID NOT NULL,
    "month" TEXT NOT NULL,
    "windowsAnalysed" INTEGER NOT NULL DEFAULT 0,
    "windowsGated" INTEGER NOT NULL DEFAULT 0,
    "windowsFailed" INTEGER NOT NULL DEFAULT 0,
    "windowsDegraded" INTEGER NOT NULL DEFAULT 0,
    "framesSent" INTEGER NOT NULL DEFAULT 0,
    "visionTokens" BIGINT NOT NULL DEFAULT 0,
    "promptTokens" BIGINT NOT NULL DEFAULT 0,
    "completionTokens" BIGINT NOT NULL DEFAULT 0,
    "reasoningTokens" BIGINT NOT NULL DEFAULT 0,
    "gpuMs" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UsageCounter_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "InferenceNode" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "apiKeyEncrypted" TEXT,
    "modelName" TEXT NOT NULL,
    "maxConcurrency" INTEGER NOT NULL,
    "weight" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "state" "InferenceNodeState" NOT NULL DEFAULT 'ACTIVE',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "InferenceNode_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Analysis_tenantId_streamId_createdAt_idx" ON "Analysis"("tenantId", "streamId", "createdAt");

-- CreateIndex
CREATE INDEX "Analysis_tenantId_status_updatedAt_idx" ON "Analysis"("tenantId", "status", "updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Analysis_tenantId_id_key" ON "Analysis"("tenantId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Analysis_tenantId_windowId_templateVersionId_mode_key" ON "Analysis"("tenantId", "windowId", "templateVersionId", "mode");

-- CreateIndex
CREATE INDEX "UsageCounter_tenantId_month_idx" ON "UsageCounter"("tenantId", "month");

-- CreateIndex
CREATE UNIQUE INDEX "UsageCounter_tenantId_streamId_month_key" ON "UsageCounter"("tenantId", "streamId", "month");

-- CreateIndex
CREATE UNIQUE INDEX "InferenceNode_name_key" ON "InferenceNode"("name");

-- AddForeignKey
ALTER TABLE "Analysis" ADD CONSTRAINT "Analysis_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Analysis" ADD CONSTRAINT "Analysis_tenantId_streamId_fkey" FOREIGN KEY ("tenantId", "streamId") REFERENCES "Stream"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Analysis" ADD CONSTRAINT "Analysis_tenantId_windowId_fkey" FOREIGN KEY ("tenantId", "windowId") REFERENCES "Window"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Analysis" ADD CONSTRAINT "Analysis_tenantId_templateVersionId_fkey" FOREIGN KEY ("tenantId", "templateVersionId") REFERENCES "PromptTemplateVersion"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UsageCounter" ADD CONSTRAINT "UsageCounter_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UsageCounter" ADD CONSTRAINT "UsageCounter_tenantId_streamId_fkey" FOREIGN KEY ("tenantId", "streamId") REFERENCES "Stream"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

