-- Zones and tripwires per stream, versioned: every save adds a StreamScene row and moves the
-- stream's sceneVersion to it (0: nothing drawn). Older versions stay for the analyses that used them.

-- AlterTable
ALTER TABLE "Stream" ADD COLUMN     "sceneVersion" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "StreamScene" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "streamId" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "regions" JSONB NOT NULL,
    "savedById" UUID,
    "savedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StreamScene_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "StreamScene_tenantId_streamId_version_key" ON "StreamScene"("tenantId", "streamId", "version");

-- AddForeignKey
ALTER TABLE "StreamScene" ADD CONSTRAINT "StreamScene_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StreamScene" ADD CONSTRAINT "StreamScene_tenantId_streamId_fkey" FOREIGN KEY ("tenantId", "streamId") REFERENCES "Stream"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

