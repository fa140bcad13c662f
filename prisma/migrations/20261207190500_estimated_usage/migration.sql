-- AlterTable
ALTER TABLE "Analysis" ADD COLUMN     "usageEstimated" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "UsageCounter" ADD COLUMN     "estimatedTokens" BIGINT NOT NULL DEFAULT 0;

