-- A tenant's own object labels, beside the 80 COCO labels: the vocabulary rules and template gates
-- are checked against. Existing tenants start with none.
-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "customLabels" TEXT[] DEFAULT ARRAY[]::TEXT[];

