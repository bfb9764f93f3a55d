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
