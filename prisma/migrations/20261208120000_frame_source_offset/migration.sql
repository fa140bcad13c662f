-- AlterTable
ALTER TABLE "Frame" ADD COLUMN     "sourceOffset" DOUBLE PRECISION,
ADD COLUMN     "startsRun" BOOLEAN NOT NULL DEFAULT false;

