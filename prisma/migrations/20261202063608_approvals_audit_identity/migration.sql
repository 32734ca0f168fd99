-- CreateEnum
CREATE TYPE "RestoreRequestStatus" AS ENUM ('PENDING_APPROVAL', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED', 'EXECUTED');

-- CreateEnum
CREATE TYPE "RestoreDecision" AS ENUM ('APPROVE', 'REJECT');

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "actorUserId" TEXT,
ADD COLUMN     "alg" TEXT NOT NULL DEFAULT 'sha256',
ADD COLUMN     "ip" TEXT,
ADD COLUMN     "requestId" TEXT,
ADD COLUMN     "result" TEXT NOT NULL DEFAULT 'ok',
ADD COLUMN     "userAgent" TEXT;

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "breakGlass" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Tier" ADD COLUMN     "restoreApprovals" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "lastSignInAt" TIMESTAMP(3),
ADD COLUMN     "oidcIssuer" TEXT,
ADD COLUMN     "oidcSubject" TEXT,
ALTER COLUMN "passwordHash" DROP NOT NULL;

-- CreateTable
CREATE TABLE "RestoreRequest" (
    "id" UUID NOT NULL,
    "recoveryPointId" UUID,
    "sourceId" UUID NOT NULL,
    "target" JSONB NOT NULL,
    "mode" TEXT NOT NULL,
    "destructive" BOOLEAN NOT NULL DEFAULT false,
    "reason" TEXT NOT NULL,
    "requesterId" UUID NOT NULL,
    "requesterTokenId" UUID,
    "status" "RestoreRequestStatus" NOT NULL DEFAULT 'PENDING_APPROVAL',
    "requiredApprovals" INTEGER NOT NULL,
    "requiresAdminApproval" BOOLEAN NOT NULL DEFAULT false,
    "paramsHash" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "history" JSONB NOT NULL DEFAULT '[]',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "runId" UUID,
    "breakGlass" BOOLEAN NOT NULL DEFAULT false,
    "breakGlassReason" TEXT,
    "breakGlassById" UUID,
    "breakGlassAckAt" TIMESTAMP(3),
    "breakGlassAckById" UUID,
    "closedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RestoreRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RestoreApproval" (
    "id" UUID NOT NULL,
    "requestId" UUID NOT NULL,
    "approverId" UUID NOT NULL,
    "viaTokenId" UUID,
    "roleAtDecision" "Role" NOT NULL,
    "decision" "RestoreDecision" NOT NULL,
    "comment" TEXT,
    "paramsHash" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RestoreApproval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditAnchor" (
    "id" UUID NOT NULL,
    "destinationId" UUID NOT NULL,
    "sequence" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "error" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditAnchor_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "RestoreRequest_runId_key" ON "RestoreRequest"("runId");

-- CreateIndex
CREATE INDEX "RestoreRequest_status_createdAt_idx" ON "RestoreRequest"("status", "createdAt");

-- CreateIndex
CREATE INDEX "RestoreRequest_requesterId_createdAt_idx" ON "RestoreRequest"("requesterId", "createdAt");

-- CreateIndex
CREATE INDEX "RestoreRequest_sourceId_createdAt_idx" ON "RestoreRequest"("sourceId", "createdAt");

-- CreateIndex
CREATE INDEX "RestoreApproval_requestId_createdAt_idx" ON "RestoreApproval"("requestId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "RestoreApproval_requestId_approverId_paramsHash_key" ON "RestoreApproval"("requestId", "approverId", "paramsHash");

-- CreateIndex
CREATE INDEX "AuditAnchor_destinationId_at_idx" ON "AuditAnchor"("destinationId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "User_oidcIssuer_oidcSubject_key" ON "User"("oidcIssuer", "oidcSubject");

-- AddForeignKey
ALTER TABLE "RestoreRequest" ADD CONSTRAINT "RestoreRequest_recoveryPointId_fkey" FOREIGN KEY ("recoveryPointId") REFERENCES "RecoveryPoint"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RestoreRequest" ADD CONSTRAINT "RestoreRequest_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "Source"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RestoreRequest" ADD CONSTRAINT "RestoreRequest_requesterId_fkey" FOREIGN KEY ("requesterId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RestoreRequest" ADD CONSTRAINT "RestoreRequest_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RestoreApproval" ADD CONSTRAINT "RestoreApproval_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "RestoreRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RestoreApproval" ADD CONSTRAINT "RestoreApproval_approverId_fkey" FOREIGN KEY ("approverId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditAnchor" ADD CONSTRAINT "AuditAnchor_destinationId_fkey" FOREIGN KEY ("destinationId") REFERENCES "Destination"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The runbooks' approval rule per tier: tier 1 needs two approvals, tiers 2 and 3 one.
UPDATE "Tier" SET "restoreApprovals" = 2 WHERE "name" = 'tier-1-critical';
