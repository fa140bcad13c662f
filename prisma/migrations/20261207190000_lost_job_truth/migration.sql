-- AlterTable
ALTER TABLE "Window" ADD COLUMN     "reanalysisWantedSince" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Window_reanalysisWantedSince_idx" ON "Window"("reanalysisWantedSince");

-- CreateIndex
CREATE INDEX "Analysis_tenantId_rulesEvaluatedAt_updatedAt_idx" ON "Analysis"("tenantId", "rulesEvaluatedAt", "updatedAt");

-- Windows of the last day analysed locally while every GPU node was down, whose template asks for a
-- GPU re-analysis, still want it (one that already ran and failed is tried once more).
UPDATE "Window" AS w
SET "reanalysisWantedSince" = w."updatedAt"
WHERE w."status" = 'DEGRADED'
  AND w."updatedAt" > now() - interval '1 day'
  AND EXISTS (
    SELECT 1 FROM "Analysis" AS a
    JOIN "PromptTemplateVersion" AS v ON v."tenantId" = a."tenantId" AND v."id" = a."templateVersionId"
    WHERE a."tenantId" = w."tenantId" AND a."windowId" = w."id"
      AND a."mode" = 'LOCAL' AND a."status" = 'DEGRADED' AND v."reanalyseDegraded"
  );
