-- CreateTable
CREATE TABLE "team_images" (
    "id" BIGSERIAL NOT NULL,
    "team_id" UUID NOT NULL,
    "image_id" TEXT NOT NULL,
    "reference" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "team_images_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "team_images_image_id_idx" ON "team_images"("image_id");

-- CreateIndex
CREATE UNIQUE INDEX "team_images_team_id_image_id_reference_key" ON "team_images"("team_id", "image_id", "reference");

-- AddForeignKey
ALTER TABLE "team_images" ADD CONSTRAINT "team_images_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;
