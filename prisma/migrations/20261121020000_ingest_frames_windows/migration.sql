-- CreateEnum
CREATE TYPE "WindowStatus" AS ENUM ('QUEUED', 'RUNNING', 'DONE', 'FAILED', 'GATED', 'DEGRADED');

-- AlterTable
ALTER TABLE "Stream" ADD COLUMN     "effectiveFps" DOUBLE PRECISION,
ADD COLUMN     "framesKept" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "framesSampled" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "framesSkipped" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "lastFrameAt" TIMESTAMP(3),
ADD COLUMN     "progressPercent" DOUBLE PRECISION,
ADD COLUMN     "windowsAnalysed" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "windowsQueued" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "Frame" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "streamId" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "capturedAt" TIMESTAMP(3) NOT NULL,
    "storageKey" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "skippedBefore" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Frame_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Window" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "streamId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "frameIds" UUID[],
    "startAt" TIMESTAMP(3) NOT NULL,
    "endAt" TIMESTAMP(3) NOT NULL,
    "status" "WindowStatus" NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Window_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Frame_tenantId_streamId_capturedAt_idx" ON "Frame"("tenantId", "streamId", "capturedAt");

-- CreateIndex
CREATE INDEX "Frame_tenantId_createdAt_idx" ON "Frame"("tenantId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Frame_tenantId_id_key" ON "Frame"("tenantId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Frame_tenantId_streamId_sequence_key" ON "Frame"("tenantId", "streamId", "sequence");

-- CreateIndex
CREATE INDEX "Window_tenantId_status_updatedAt_idx" ON "Window"("tenantId", "status", "updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "Window_tenantId_id_key" ON "Window"("tenantId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Window_tenantId_streamId_index_key" ON "Window"("tenantId", "streamId", "index");

-- CreateIndex
CREATE UNIQUE INDEX "Stream_tenantId_id_key" ON "Stream"("tenantId", "id");

-- AddForeignKey
ALTER TABLE "Frame" ADD CONSTRAINT "Frame_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Frame" ADD CONSTRAINT "Frame_tenantId_streamId_fkey" FOREIGN KEY ("tenantId", "streamId") REFERENCES "Stream"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Window" ADD CONSTRAINT "Window_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Window" ADD CONSTRAINT "Window_tenantId_streamId_fkey" FOREIGN KEY ("tenantId", "streamId") REFERENCES "Stream"("tenantId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

