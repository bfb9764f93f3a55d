import request from 'supertest';
import { BERTH_LABELS } from '../../apps/api/src/docker/docker.service';
import { query } from './database';
import { docker } from './docker';

/** Records an already-built local image as the team's (as a pull or build through Berth would). */
export async function grantImage(databaseUrl: string, teamId: string, reference: string): Promise<void> {
  const image = await docker.getImage(reference).inspect();
  for (const ref of [reference, `docker.io/${reference}`, `docker.io/library/${reference}`]) {
    await query(databaseUrl, 'INSERT INTO team_images (team_id, image_id, reference) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [teamId, image.Id, ref]);
  }
}

export async function replicaContainers(teamId: string, deployment: string) {
  return docker.listContainers({ all: true, filters: { label: [`${BERTH_LABELS.team}=${teamId}`, `${BERTH_LABELS.deployment}=${deployment}`, `${BERTH_LABELS.role}=replica`] } });
}

export const isReady = (c: { State: string; Status: string }) => c.State === 'running' && !/\((unhealthy|health: starting)\)/.test(c.Status);

/** Long-polls an operation until it ends; returns the HTTP status and the body. */
export async function waitOperation(url: string, token: string, id: string, seconds = 120): Promise<{ status: number; body: any }> {
  const res = await request(url).get(`/operations/${id}?wait=${seconds}`).set('Authorization', `Bearer ${token}`);
  return { status: res.status, body: res.body };
}
