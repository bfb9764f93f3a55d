import { StreamError } from './stream-errors';
import type { SubscribeMessage } from './stream-protocol';

/** Every topic a socket can follow, parsed from its string form. */
export type Topic =
  | { kind: 'events' }
  | { kind: 'deployment'; name: string }
  | { kind: 'operation'; id: string; operationKind?: 'pull' | 'build' | 'push' }
  | { kind: 'containerLogs'; container: string }
  | { kind: 'deploymentLogs'; name: string };

export type EventTopic = Extract<Topic, { kind: 'events' | 'deployment' | 'operation' }>;
export type LogTopic = Extract<Topic, { kind: 'containerLogs' | 'deploymentLogs' }>;

const NAME = '[A-Za-z0-9][A-Za-z0-9_.-]{0,127}';
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => Topic]> = [
  [/^events$/, () => ({ kind: 'events' })],
  [new RegExp(`^deployments/(${NAME})$`), (m) => ({ kind: 'deployment', name: m[1] })],
  [new RegExp(`^deployments/(${NAME})/logs$`), (m) => ({ kind: 'deploymentLogs', name: m[1] })],
  [new RegExp(`^operations/(${UUID})$`), (m) => ({ kind: 'operation', id: m[1].toLowerCase() })],
  [new RegExp(`^images/(pull|build|push)/(${UUID})$`), (m) => ({ kind: 'operation', id: m[2].toLowerCase(), operationKind: m[1] as 'pull' | 'build' | 'push' })],
  [new RegExp(`^containers/(${NAME})/logs$`), (m) => ({ kind: 'containerLogs', container: m[1] })],
];

export const TOPIC_FORMS = ['events', 'deployments/<name>', 'deployments/<name>/logs', 'operations/<id>', 'images/pull/<operationId>', 'images/build/<operationId>', 'images/push/<operationId>', 'containers/<id|name>/logs'];

export function parseTopic(topic: string): Topic {
  for (const [re, build] of PATTERNS) {
    const m = re.exec(topic);
    if (m) return build(m);
  }
  throw new StreamError('UNKNOWN_TOPIC', `Unknown topic ${JSON.stringify(topic.slice(0, 200))}; topics are ${TOPIC_FORMS.join(', ')}`);
}

export const isLogTopic = (t: Topic): t is LogTopic => t.kind === 'containerLogs' || t.kind === 'deploymentLogs';

export interface EventOptions {
  since?: number;
  kinds?: string[];
  deployment?: string;
}

/** At most this many lines of history per container, whatever `tail` asks. */
export const MAX_TAIL = 10_000;
export const DEFAULT_TAIL = 100;

export interface LogOptions {
  /** Lines of history (already capped to MAX_TAIL). */
  tail: number;
  /** Unix seconds (with a fraction) to start history from. */
  since?: number;
  timestamps: boolean;
  stream: 'stdout' | 'stderr' | 'all';
}

const KIND = /^[a-z][a-z_]*(\.[a-z_]+)*(\.\*)?$/;

const invalid = (field: string, rule: string) => new StreamError('VALIDATION_FAILED', `${field} ${rule}`);

/** The options of a subscription to an event topic, checked for that topic. */
export function eventOptions(topic: EventTopic, msg: SubscribeMessage): EventOptions {
  for (const field of ['tail', 'timestamps', 'stream'] as const) {
    if (msg[field] !== undefined) throw invalid(field, 'applies to log topics only');
  }
  if (topic.kind !== 'events') {
    if (msg.kinds !== undefined) throw invalid('kinds', 'applies to the events topic only');
    if (msg.deployment !== undefined) throw invalid('deployment', 'applies to the events topic only');
  }
  const since = msg.since;
  if (since !== undefined && (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0)) {
    throw invalid('since', 'must be a sequence number (a non-negative integer) on event topics');
  }
  if (msg.kinds?.some((k) => !KIND.test(k))) throw invalid('kinds', 'entries must be event kinds such as "operation.step" or a prefix such as "operation.*"');
  if (msg.deployment !== undefined && !new RegExp(`^${NAME}$`).test(msg.deployment)) throw invalid('deployment', 'is not a deployment name');
  return { since, kinds: msg.kinds?.length ? msg.kinds : undefined, deployment: msg.deployment };
}

/** The options of a subscription to a log topic, with defaults applied. */
export function logOptions(msg: SubscribeMessage): LogOptions {
  if (msg.kinds !== undefined) throw invalid('kinds', 'applies to the events topic only');
  if (msg.deployment !== undefined) throw invalid('deployment', 'applies to the events topic only');
  let since: number | undefined;
  if (typeof msg.since === 'number') {
    if (!Number.isFinite(msg.since) || msg.since < 0) throw invalid('since', 'must be Unix seconds or an RFC 3339 date on log topics');
    since = msg.since;
  } else if (typeof msg.since === 'string') {
    const ms = Date.parse(msg.since);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(msg.since) || Number.isNaN(ms)) throw invalid('since', 'must be Unix seconds or an RFC 3339 date on log topics');
    since = ms / 1000;
  }
  const tail = msg.tail === 'all' ? MAX_TAIL : Math.min(msg.tail ?? (since !== undefined ? MAX_TAIL : DEFAULT_TAIL), MAX_TAIL);
  return { tail, since, timestamps: msg.timestamps ?? false, stream: msg.stream ?? 'all' };
}
