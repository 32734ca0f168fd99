-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "jobGeneration" INTEGER NOT NULL DEFAULT 0;
