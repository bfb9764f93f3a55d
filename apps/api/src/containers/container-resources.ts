import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import { seesEverything } from './container-access.service';
import type { ContainerSpec } from './container-spec';

/** Networks every team may name; the host network is then the container policy's call (allow.hostNetwork). */
export const BUILTIN_NETWORKS = new Set(['bridge', 'host', 'none']);

/**
 * Named volumes and networks are shared host objects: a team may use the ones labelled for it
 * (or create a volume, labelled for it, by naming a new one); an owner may use any. A volume
 * or network of another team is refused before anything is created.
 */
export async function checkSharedResources(docker: DockerService, principal: Principal, spec: ContainerSpec): Promise<void> {
  if (seesEverything(principal)) return;
  const mine = (labels: Record<string, string> | null | undefined) => labels?.[BERTH_LABELS.team] === principal.teamId;
  for (const m of spec.mounts) {
    if (m.type !== 'volume') continue;
    const volume = await docker.call('volumeInspect', (d) => d.getVolume(m.source).inspect()).catch((err) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    });
    if (volume && !mine(volume.Labels)) {
      throw new DomainError('CONFLICT', `Volume ${JSON.stringify(m.source)} is not available to this team (it belongs to another team or was not created by Berth)`);
    }
  }
  for (const name of spec.networks) {
    if (BUILTIN_NETWORKS.has(name)) continue;
    const network = await docker.call('networkInspect', (d) => d.getNetwork(name).inspect()).catch((err) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    });
    if (!network || !mine(network.Labels)) throw DomainError.notFound('Network', name);
  }
}
