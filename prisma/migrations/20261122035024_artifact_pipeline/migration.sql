-- AlterTable
ALTER TABLE "Policy" ADD COLUMN     "compressionLevel" INTEGER DEFAULT 3,
ADD COLUMN     "encrypt" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "retention" JSONB;

-- AlterTable
ALTER TABLE "RecoveryPoint" ADD COLUMN     "codec" TEXT NOT NULL DEFAULT 'none',
ADD COLUMN     "keyId" UUID,
ADD COLUMN     "legalHold" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "lockedUntil" TIMESTAMP(3),
ADD COLUMN     "rawBytes" BIGINT,
ADD COLUMN     "rawSha256" TEXT,
ADD COLUMN     "verifiedAt" TIMESTAMP(3),
ADD COLUMN     "verifyError" TEXT;

-- CreateTable
CREATE TABLE "EncryptionKey" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "sealedIdentity" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMP(3),
    "shreddedAt" TIMESTAMP(3),

    CONSTRAINT "EncryptionKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EncryptionKey_recipient_key" ON "EncryptionKey"("recipient");

-- AddForeignKey
ALTER TABLE "RecoveryPoint" ADD CONSTRAINT "RecoveryPoint_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "EncryptionKey"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
