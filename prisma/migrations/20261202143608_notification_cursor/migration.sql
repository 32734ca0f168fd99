-- CreateTable
CREATE TABLE "NotificationCursor" (
    "id" TEXT NOT NULL,
    "lastEventId" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NotificationCursor_pkey" PRIMARY KEY ("id")
);
