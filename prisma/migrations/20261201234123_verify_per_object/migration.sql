-- AlterTable
ALTER TABLE "RecoveryPoint" ADD COLUMN     "verifyFault" TEXT;

-- AlterTable
ALTER TABLE "RecoveryPointCopy" ADD COLUMN     "verifiedAt" TIMESTAMP(3),
ADD COLUMN     "verifyError" TEXT,
ADD COLUMN     "verifyFault" TEXT;
