-- Streams with evidence are archived instead of deleted (status ARCHIVED, archivedAt; the database
-- refuses to delete a stream that analyses, incidents or review items still refer to); names are
-- unique among streams not archived (nameInUse); usage counters outlive their stream (no foreign
-- key to it, the name kept in streamName once the stream is deleted).

-- AlterEnum
ALTER TYPE "StreamStatus" ADD VALUE 'ARCHIVED';

-- DropForeignKey
ALTER TABLE "Analysis" DROP CONSTRAINT "Analysis_tenantId_streamId_fkey";

-- DropForeignKey
ALTER TABLE "UsageCounter" DROP CONSTRAINT "UsageCounter_tenantId_streamId_fkey";

-- DropForeignKey
ALTER TABLE "Incident" DROP CONSTRAINT "Incident_tenantId_streamId_fkey";

-- DropForeignKey
ALTER TABLE "ReviewItem" DROP CONSTRAINT "ReviewItem_tenantId_streamId_fkey";

-- DropIndex
DROP INDEX "Stream_tenantId_name_key";

-- AlterTable
ALTER TABLE "Stream" ADD COLUMN     "archivedAt" TIMESTAMP(3),
ADD COLUMN     "nameInUse" TEXT;

-- AlterTable
ALTER TABLE "UsageCounter" ADD COLUMN     "streamName" TEXT;

-- Every stream so far is not archived: its name is in use.
UPDATE "Stream" SET "nameInUse" = "name";

-- CreateIndex
CREATE UNIQUE INDEX "Stream_tenantId_nameInUse_key" ON "Stream"("tenantId", "nameInUse");

-- AddForeignKey
ALTER TABLE "Analysis" ADD CONSTRAINT "Analysis_tenantId_streamId_fkey" FOREIGN KEY ("tenantId", "streamId") REFERENCES "Stream"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Incident" ADD CONSTRAINT "Incident_tenantId_streamId_fkey" FOREIGN KEY ("tenantId", "streamId") REFERENCES "Stream"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewItem" ADD CONSTRAINT "ReviewItem_tenantId_streamId_fkey" FOREIGN KEY ("tenantId", "streamId") REFERENCES "Stream"("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE;

