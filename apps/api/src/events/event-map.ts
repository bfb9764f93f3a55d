/**
 * Every event Berth records, by kind → payload type. The append-only `events` table stores them
 * with a gap-free sequence number; the WebSocket stream replays and follows it (docs/stream.md).
 * Add a kind here before publishing it.
 */
export interface EventMap {
  'operation.started': { operationId: string; kind: string; deployment?: string };
  'operation.step': { operationId: string; message: string; level: string; data?: unknown };
  'operation.succeeded': { operationId: string; kind: string; result?: unknown };
  'operation.failed': { operationId: string; kind: string; error: string };
  'operation.cancelled': { operationId: string; kind: string };
  'operation.queued': { operationId: string; kind: string; deployment?: string };
  'deployment.created': { deployment: string; version: number };
  'deployment.updated': { deployment: string; version: number; change: string };
  'deployment.deleted': { deployment: string; purged: boolean };
  'deployment.revision.created': { deployment: string; revision: number; changeCause?: string | null; rollbackOf?: number };
  'deployment.condition': { deployment: string; type: string; status: string; reason: string; message: string };
  'deployment.rolled-out': { deployment: string; revision: number; replicas: number };
  'replica.died': { deployment: string; containerId: string; slot: number; revision: number; exitCode?: number };
  'replica.unhealthy': { deployment: string; containerId: string; slot: number; revision: number };
  'replica.replaced': { deployment: string; revision: number; replaced: string[]; reason: string };
  'registry.created': { registryId: string; name: string; serverAddress: string };
  'registry.updated': { registryId: string; name: string; serverAddress: string; credentialsChanged: boolean };
  'registry.deleted': { registryId: string; name: string; serverAddress: string };
  'image.pull.progress': { operationId: string; reference: string; layer?: string; status: string; current?: number; total?: number };
  'image.pulled': { operationId: string; reference: string; id: string; digest?: string };
  'image.build.progress': { operationId: string; step: number; totalSteps: number; instruction: string };
  'image.built': { operationId: string; id: string; tags: string[] };
  'image.push.progress': { operationId: string; reference: string; layer?: string; status: string; current?: number; total?: number };
  'image.pushed': { operationId: string; reference: string; registry: string; digest?: string; size?: number };
  'image.tagged': { id: string; source: string; reference: string };
  'image.removed': { reference: string; untagged: string[]; deleted: string[] };
  'image.pruned': { deleted: string[]; spaceReclaimed: number };
  'container.created': { containerId: string; name: string; image: string; operationId?: string };
  'container.started': { containerId: string; name: string };
  'container.stopped': { containerId: string; name: string; timeoutSeconds?: number };
  'container.restarted': { containerId: string; name: string; timeoutSeconds?: number };
  'container.paused': { containerId: string; name: string };
  'container.unpaused': { containerId: string; name: string };
  'container.killed': { containerId: string; name: string; signal: string };
  'container.exited': { containerId: string; name: string; exitCode: number };
  'container.removed': { containerId: string; name: string; force: boolean; volumes: boolean };
  'container.adopted': { containerId: string; name: string; teamId: string; previousTeamId?: string };
  /** A state change the engine reported for a team's container, whoever caused it (see stream/container-state-recorder.ts). */
  'container.state': {
    containerId: string;
    name: string;
    action: 'create' | 'start' | 'restart' | 'stop' | 'die' | 'oom' | 'pause' | 'unpause' | 'destroy' | 'health_status';
    exitCode?: number;
    health?: string;
    deployment?: string;
    slot?: number;
    revision?: number;
  };
}

export type EventKind = keyof EventMap;

export interface BerthEvent<K extends EventKind = EventKind> {
  seq: number;
  teamId: string | null;
  kind: K;
  subject: string | null;
  payload: EventMap[K];
  createdAt: Date;
}
