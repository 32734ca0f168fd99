-- CreateEnum
CREATE TYPE "SlotState" AS ENUM ('STARTED', 'MISSED', 'SKIPPED');

-- AlterTable
ALTER TABLE "Policy" DROP COLUMN "schedule",
ADD COLUMN     "maxConcurrentPerDestination" INTEGER,
ADD COLUMN     "paused" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "schedules" JSONB NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "trigger" TEXT NOT NULL DEFAULT 'manual';

-- AlterTable
ALTER TABLE "Source" ADD COLUMN     "serviceId" UUID;

-- CreateTable
CREATE TABLE "Tier" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "rpoSeconds" INTEGER NOT NULL,
    "rtoSeconds" INTEGER NOT NULL,
    "description" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Tier_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Service" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "tierId" UUID,
    "description" TEXT,
    "contact" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Service_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScheduledSlot" (
    "id" UUID NOT NULL,
    "sourceId" UUID NOT NULL,
    "policyId" UUID,
    "scheduleId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "slotAt" TIMESTAMP(3) NOT NULL,
    "state" "SlotState" NOT NULL,
    "reason" TEXT,
    "runId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ScheduledSlot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScheduleCursor" (
    "sourceId" UUID NOT NULL,
    "scheduleId" TEXT NOT NULL,
    "reconciledUntil" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ScheduleCursor_pkey" PRIMARY KEY ("sourceId","scheduleId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Tier_name_key" ON "Tier"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Service_name_key" ON "Service"("name");

-- CreateIndex
CREATE INDEX "ScheduledSlot_sourceId_slotAt_idx" ON "ScheduledSlot"("sourceId", "slotAt");

-- CreateIndex
CREATE INDEX "ScheduledSlot_state_slotAt_idx" ON "ScheduledSlot"("state", "slotAt");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduledSlot_sourceId_scheduleId_slotAt_key" ON "ScheduledSlot"("sourceId", "scheduleId", "slotAt");

-- AddForeignKey
ALTER TABLE "Source" ADD CONSTRAINT "Source_serviceId_fkey" FOREIGN KEY ("serviceId") REFERENCES "Service"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Service" ADD CONSTRAINT "Service_tierId_fkey" FOREIGN KEY ("tierId") REFERENCES "Tier"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduledSlot" ADD CONSTRAINT "ScheduledSlot_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "Source"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The runbooks' three tiers (RPO / RTO), editable afterwards.
INSERT INTO "Tier" ("id", "name", "rpoSeconds", "rtoSeconds", "description", "updatedAt") VALUES
  (gen_random_uuid(), 'tier-1-critical', 300, 3600, 'Critical: RPO 5 minutes, RTO 1 hour', CURRENT_TIMESTAMP),
  (gen_random_uuid(), 'tier-2-important', 900, 14400, 'Important: RPO 15 minutes, RTO 4 hours', CURRENT_TIMESTAMP),
  (gen_random_uuid(), 'tier-3-standard', 3600, 86400, 'Standard: RPO 1 hour, RTO 24 hours', CURRENT_TIMESTAMP)
ON CONFLICT ("name") DO NOTHING;
