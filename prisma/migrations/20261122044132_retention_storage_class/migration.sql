-- AlterTable
ALTER TABLE "RecoveryPoint" ADD COLUMN     "storageClass" TEXT;

-- AlterTable
ALTER TABLE "RecoveryPointCopy" ADD COLUMN     "storageClass" TEXT;
