-- AlterTable
ALTER TABLE "WorkerHeartbeat" ADD COLUMN     "queuePrefix" TEXT NOT NULL DEFAULT 'lifeboat';

-- CreateIndex
CREATE INDEX "WorkerHeartbeat_queuePrefix_lastSeenAt_idx" ON "WorkerHeartbeat"("queuePrefix", "lastSeenAt");
