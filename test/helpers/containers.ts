import { BERTH_LABELS } from '../../apps/api/src/docker/docker.service';
import { BUSYBOX_IMAGE, docker, followProgress, removeContainersByLabel } from './docker';
import { startRegistry, TestRegistry } from './registry';

/**
 * A local docker-registry holding the busybox test image, so that teams can pull it the way
 * `docker run` does (a team may only run images it pulled, built or tagged).
 */
export interface BusyboxRegistry {
  registry: TestRegistry;
  /** e.g. 127.0.0.1:41234/berth-test/busybox:1 */
  image: string;
  stop(): Promise<void>;
}

export async function pushImage(ref: string): Promise<void> {
  // The engine wants an X-Registry-Auth header even for an anonymous push.
  const out = await followProgress(await docker.getImage(ref).push({ authconfig: {} } as object));
  const failure = out.find((o) => o.error || o.errorDetail);
  if (failure) throw new Error(`Pushing ${ref} failed: ${failure.error ?? failure.errorDetail?.message}`);
}

/** Untags a local reference (the image itself stays while other tags point at it). */
export async function removeLocalTag(ref: string): Promise<void> {
  await docker.getImage(ref).remove({ noprune: true }).catch((err) => {
    if (err.statusCode !== 404) throw err;
  });
}

export async function startBusyboxRegistry(repository = 'berth-test/busybox', tag = '1'): Promise<BusyboxRegistry> {
  const registry = await startRegistry();
  const repo = `${registry.address}/${repository}`;
  const image = `${repo}:${tag}`;
  try {
    await docker.getImage(BUSYBOX_IMAGE).tag({ repo, tag });
    await pushImage(image);
  } catch (err) {
    await registry.stop();
    throw err;
  }
  return {
    registry,
    image,
    async stop() {
      await removeLocalTag(image);
      await registry.stop();
    },
  };
}

/** Removes every container and volume a team's tokens created through Berth. */
export async function removeTeamObjects(teamId: string): Promise<void> {
  await removeContainersByLabel(BERTH_LABELS.team, teamId);
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${BERTH_LABELS.team}=${teamId}`] } });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove({ force: true }).catch(() => undefined)));
}

/** Reads a Prometheus gauge from /metrics text, summed over the label sets `match` accepts (all by default). */
export function gaugeValue(metricsText: string, name: string, match: (labels: string) => boolean = () => true): number {
  return metricsText
    .split('\n')
    .map((line) => new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line))
    .filter((m): m is RegExpExecArray => m !== null && match(m[1] ?? ''))
    .reduce((sum, m) => sum + Number(m[2]), 0);
}
