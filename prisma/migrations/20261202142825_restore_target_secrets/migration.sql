-- AlterTable
ALTER TABLE "RestoreRequest" ADD COLUMN     "targetSecrets" TEXT;

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "targetSecrets" TEXT;
