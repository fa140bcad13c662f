-- A rule's latest failure while the rules ran (message and time), shown to its admins until a
-- change that compiles or the next successful evaluation clears it.
-- AlterTable
ALTER TABLE "Rule" ADD COLUMN     "lastError" TEXT,
ADD COLUMN     "lastErrorAt" TIMESTAMP(3);

