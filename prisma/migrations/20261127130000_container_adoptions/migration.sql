-- CreateTable
CREATE TABLE "container_adoptions" (
    "container_id" TEXT NOT NULL,
    "team_id" UUID NOT NULL,
    "adopted_by" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "container_adoptions_pkey" PRIMARY KEY ("container_id")
);

-- CreateIndex
CREATE INDEX "container_adoptions_team_id_idx" ON "container_adoptions"("team_id");

-- AddForeignKey
ALTER TABLE "container_adoptions" ADD CONSTRAINT "container_adoptions_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;
