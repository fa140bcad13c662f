-- AlterTable
ALTER TABLE "Stream" ADD COLUMN     "samplerFence" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Frame" ADD COLUMN     "samplerFence" INTEGER;

-- AlterTable
ALTER TABLE "Window" ADD COLUMN     "samplerFence" INTEGER;


-- A frame or window written by a sampler carries the stream's fence as that sampler's lease had it.
-- Once another worker has taken the stream (and raised the fence), such writes are refused here,
-- in the same statement, whatever the writer believes about its lease. The stream row is share-
-- locked, so a take-over waits for a write in progress and a write waits for a take-over.
CREATE FUNCTION vigil_sampler_fence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  current_fence integer;
BEGIN
  IF NEW."samplerFence" IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT "samplerFence" INTO current_fence FROM "Stream"
    WHERE "tenantId" = NEW."tenantId" AND "id" = NEW."streamId" FOR SHARE;
  IF current_fence IS DISTINCT FROM NEW."samplerFence" THEN
    RAISE EXCEPTION 'sampler fenced out: stream % is sampled under fence %, not %',
      NEW."streamId", current_fence, NEW."samplerFence"
      USING ERRCODE = 'VF001';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER "Frame_sampler_fence" BEFORE INSERT ON "Frame"
  FOR EACH ROW EXECUTE FUNCTION vigil_sampler_fence();
CREATE TRIGGER "Window_sampler_fence" BEFORE INSERT ON "Window"
  FOR EACH ROW EXECUTE FUNCTION vigil_sampler_fence();
