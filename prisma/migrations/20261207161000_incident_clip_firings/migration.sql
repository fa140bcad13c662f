-- The firings an incident's evidence clip was built from: a clip is rebuilt once the incident has more.
-- AlterTable
ALTER TABLE "Incident" ADD COLUMN     "clipFirings" INTEGER;

