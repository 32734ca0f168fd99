-- CreateTable
CREATE TABLE "RecoveryPointObject" (
    "id" UUID NOT NULL,
    "recoveryPointId" UUID NOT NULL,
    "role" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "sizeBytes" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "codec" TEXT NOT NULL DEFAULT 'none',
    "rawBytes" BIGINT,
    "rawSha256" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RecoveryPointObject_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "RecoveryPointObject_recoveryPointId_role_key" ON "RecoveryPointObject"("recoveryPointId", "role");

-- CreateIndex
CREATE UNIQUE INDEX "RecoveryPointObject_recoveryPointId_position_key" ON "RecoveryPointObject"("recoveryPointId", "position");

-- AddForeignKey
ALTER TABLE "RecoveryPointObject" ADD CONSTRAINT "RecoveryPointObject_recoveryPointId_fkey" FOREIGN KEY ("recoveryPointId") REFERENCES "RecoveryPoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every point made before multi-object points holds one object, role `data`: the one its own columns describe.
INSERT INTO "RecoveryPointObject" ("id", "recoveryPointId", "role", "position", "key", "sizeBytes", "sha256", "codec", "rawBytes", "rawSha256", "details", "createdAt")
SELECT gen_random_uuid(), "id", 'data', 0, "location", "sizeBytes", "sha256", "codec", "rawBytes", "rawSha256", '{}', "createdAt"
FROM "RecoveryPoint";
