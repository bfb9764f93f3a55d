import { StreamError } from './stream-errors';
import { CLIENT_MESSAGE_TYPES, ClientMessage, ClientMessageType, Ref } from './stream-protocol';

type Obj = Record<string, unknown>;

/** The fields each client message may carry (besides `type` and `ref`); anything else is refused. */
const FIELDS: Record<ClientMessageType, readonly string[]> = {
  auth: ['token'],
  subscribe: ['topic', 'since', 'kinds', 'deployment', 'tail', 'timestamps', 'stream'],
  unsubscribe: ['topic'],
  ping: [],
  'exec.start': ['session', 'container', 'cmd', 'tty', 'cols', 'rows', 'env', 'workdir', 'user'],
  'exec.stdin': ['session', 'data', 'eof'],
  'exec.resize': ['session', 'cols', 'rows'],
  'exec.close': ['session'],
};

const SESSION = /^[A-Za-z0-9._:-]{1,64}$/;

const invalid = (field: string, rule: string) => new StreamError('VALIDATION_FAILED', `${field} ${rule}`);

function str(o: Obj, field: string, { required = false, max = 4096 } = {}): string | undefined {
  const v = o[field];
  if (v === undefined) {
    if (required) throw invalid(field, 'is required');
    return undefined;
  }
  if (typeof v !== 'string' || v.length === 0) throw invalid(field, 'must be a non-empty string');
  if (v.length > max) throw invalid(field, `must be at most ${max} characters`);
  return v;
}

function int(o: Obj, field: string, min: number, max: number, required = false): number | undefined {
  const v = o[field];
  if (v === undefined) {
    if (required) throw invalid(field, 'is required');
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(field, `must be an integer from ${min} to ${max}`);
  return v;
}

function bool(o: Obj, field: string): boolean | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalid(field, 'must be true or false');
  return v;
}

function strings(o: Obj, field: string, maxItems: number, maxLength = 4096): string[] | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > maxItems || v.some((s) => typeof s !== 'string' || s.length > maxLength)) {
    throw invalid(field, `must be an array of at most ${maxItems} strings`);
  }
  return v as string[];
}

function session(o: Obj): string {
  const s = str(o, 'session', { required: true, max: 64 })!;
  if (!SESSION.test(s)) throw invalid('session', 'must be 1-64 characters of A-Z a-z 0-9 . _ : -');
  return s;
}

/** The `ref` of a message, if it has a usable one (so even an invalid message's error can echo it). */
export function refOf(raw: unknown): Ref | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const ref = (raw as Obj).ref;
  return (typeof ref === 'string' && ref.length <= 128) || (typeof ref === 'number' && Number.isFinite(ref)) ? ref : undefined;
}

/** Parses one text frame into a typed client message, or throws a StreamError saying what is wrong. */
export function parseClientMessage(data: string): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    throw new StreamError('BAD_MESSAGE', 'Messages are JSON objects with a "type"');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || typeof (raw as Obj).type !== 'string') {
    throw new StreamError('BAD_MESSAGE', 'Messages are JSON objects with a "type"');
  }
  const o = raw as Obj;
  const type = o.type as string;
  if (!(CLIENT_MESSAGE_TYPES as readonly string[]).includes(type)) {
    throw new StreamError('UNKNOWN_TYPE', `Unknown message type ${JSON.stringify(type.slice(0, 64))}; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`);
  }
  const t = type as ClientMessageType;
  if (o.ref !== undefined && refOf(o) === undefined) throw invalid('ref', 'must be a string (at most 128 characters) or a number');
  const allowed = FIELDS[t];
  const unknown = Object.keys(o).filter((k) => k !== 'type' && k !== 'ref' && !allowed.includes(k));
  if (unknown.length) throw invalid(unknown[0], `is not a field of ${t}`);
  const ref = refOf(o);
  const base = ref === undefined ? {} : { ref };

  switch (t) {
    case 'auth':
      return { type: t, ...base, token: str(o, 'token', { required: true, max: 512 })! };
    case 'ping':
      return { type: t, ...base };
    case 'unsubscribe':
      return { type: t, ...base, topic: str(o, 'topic', { required: true, max: 512 })! };
    case 'subscribe': {
      const since = o.since;
      if (since !== undefined && typeof since !== 'number' && typeof since !== 'string') throw invalid('since', 'must be a number or a string');
      const tail = o.tail;
      if (tail !== undefined && tail !== 'all' && (typeof tail !== 'number' || !Number.isInteger(tail) || tail < 0)) throw invalid('tail', 'must be a non-negative integer or "all"');
      const stream = o.stream;
      if (stream !== undefined && stream !== 'stdout' && stream !== 'stderr' && stream !== 'all') throw invalid('stream', 'must be stdout, stderr or all');
      return {
        type: t,
        ...base,
        topic: str(o, 'topic', { required: true, max: 512 })!,
        ...(since !== undefined ? { since } : {}),
        ...(o.kinds !== undefined ? { kinds: strings(o, 'kinds', 100, 128) } : {}),
        ...(o.deployment !== undefined ? { deployment: str(o, 'deployment', { max: 128 }) } : {}),
        ...(tail !== undefined ? { tail: tail as number | 'all' } : {}),
        ...(o.timestamps !== undefined ? { timestamps: bool(o, 'timestamps') } : {}),
        ...(stream !== undefined ? { stream: stream as 'stdout' | 'stderr' | 'all' } : {}),
      };
    }
    case 'exec.start': {
      const cmd = strings(o, 'cmd', 256);
      if (cmd && cmd.length === 0) throw invalid('cmd', 'must not be empty');
      const env = strings(o, 'env', 256);
      if (env?.some((e) => !/^[^=\s]+=/.test(e))) throw invalid('env', 'entries must be KEY=value');
      return {
        type: t,
        ...base,
        session: session(o),
        container: str(o, 'container', { required: true, max: 256 })!,
        ...(cmd ? { cmd } : {}),
        ...(o.tty !== undefined ? { tty: bool(o, 'tty') } : {}),
        ...(o.cols !== undefined ? { cols: int(o, 'cols', 1, 1000) } : {}),
        ...(o.rows !== undefined ? { rows: int(o, 'rows', 1, 1000) } : {}),
        ...(env ? { env } : {}),
        ...(o.workdir !== undefined ? { workdir: str(o, 'workdir') } : {}),
        ...(o.user !== undefined ? { user: str(o, 'user', { max: 256 }) } : {}),
      };
    }
    case 'exec.stdin': {
      const data = o.data;
      if (data !== undefined && typeof data !== 'string') throw invalid('data', 'must be a string');
      const eof = bool(o, 'eof');
      if (data === undefined && !eof) throw invalid('data', 'is required unless eof is true');
      return { type: t, ...base, session: session(o), ...(data !== undefined ? { data } : {}), ...(eof !== undefined ? { eof } : {}) };
    }
    case 'exec.resize':
      return { type: t, ...base, session: session(o), cols: int(o, 'cols', 1, 1000, true)!, rows: int(o, 'rows', 1, 1000, true)! };
    case 'exec.close':
      return { type: t, ...base, session: session(o) };
  }
}
