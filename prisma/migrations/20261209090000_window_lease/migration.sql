-- The analysis job holding a RUNNING window, and until when (renewed while it works).
ALTER TABLE "Window" ADD COLUMN "leaseToken" UUID;
ALTER TABLE "Window" ADD COLUMN "leaseUntil" TIMESTAMP(3);
