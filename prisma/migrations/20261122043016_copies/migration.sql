-- CreateEnum
CREATE TYPE "CopyStatus" AS ENUM ('COPY_PENDING', 'COPY_OK', 'COPY_FAILED');

-- AlterTable
ALTER TABLE "Destination" ADD COLUMN     "immutable" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "offsite" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "secrets" TEXT;

-- CreateTable
CREATE TABLE "PolicyCopy" (
    "id" UUID NOT NULL,
    "policyId" UUID NOT NULL,
    "destinationId" UUID NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "PolicyCopy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RecoveryPointCopy" (
    "id" UUID NOT NULL,
    "recoveryPointId" UUID NOT NULL,
    "destinationId" UUID NOT NULL,
    "location" TEXT NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "status" "CopyStatus" NOT NULL DEFAULT 'COPY_PENDING',
    "sizeBytes" BIGINT,
    "sha256" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" TIMESTAMP(3),
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RecoveryPointCopy_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PolicyCopy_policyId_destinationId_key" ON "PolicyCopy"("policyId", "destinationId");

-- CreateIndex
CREATE INDEX "RecoveryPointCopy_status_updatedAt_idx" ON "RecoveryPointCopy"("status", "updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "RecoveryPointCopy_recoveryPointId_destinationId_key" ON "RecoveryPointCopy"("recoveryPointId", "destinationId");

-- AddForeignKey
ALTER TABLE "PolicyCopy" ADD CONSTRAINT "PolicyCopy_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "Policy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PolicyCopy" ADD CONSTRAINT "PolicyCopy_destinationId_fkey" FOREIGN KEY ("destinationId") REFERENCES "Destination"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RecoveryPointCopy" ADD CONSTRAINT "RecoveryPointCopy_recoveryPointId_fkey" FOREIGN KEY ("recoveryPointId") REFERENCES "RecoveryPoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RecoveryPointCopy" ADD CONSTRAINT "RecoveryPointCopy_destinationId_fkey" FOREIGN KEY ("destinationId") REFERENCES "Destination"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
