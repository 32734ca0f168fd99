-- AlterTable
ALTER TABLE "RecoveryPointCopy" ADD COLUMN     "jobGeneration" INTEGER NOT NULL DEFAULT 0;
