-- CreateIndex
CREATE INDEX "Run_sourceId_kind_status_finishedAt_idx" ON "Run"("sourceId", "kind", "status", "finishedAt");
