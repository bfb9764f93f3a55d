-- AlterTable
ALTER TABLE "deployments" ADD COLUMN     "generation" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "stopped" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "operations" ADD COLUMN     "cancel_requested" BOOLEAN NOT NULL DEFAULT false;
