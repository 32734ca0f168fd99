-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "result" JSONB;
