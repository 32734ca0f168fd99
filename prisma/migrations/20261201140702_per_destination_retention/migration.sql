-- AlterTable
ALTER TABLE "PolicyCopy" ADD COLUMN     "retention" JSONB;

-- AlterTable
ALTER TABLE "RecoveryPoint" ADD COLUMN     "primaryDeletedAt" TIMESTAMP(3);
