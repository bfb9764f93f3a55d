/** One JSON message of the engine's pull / push / build progress stream. */
export interface EngineProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

/** Splits the engine's newline-delimited JSON progress stream into messages (tolerates chunks split anywhere). */
export async function* engineMessages(stream: NodeJS.ReadableStream): AsyncGenerator<EngineProgressMessage> {
  let buffer = '';
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield parse(line);
    }
  }
  if (buffer.trim()) yield parse(buffer.trim());
}

function parse(line: string): EngineProgressMessage {
  try {
    return JSON.parse(line) as EngineProgressMessage;
  } catch {
    return { stream: line };
  }
}

/** The error an engine message reports, if any. */
export function messageError(m: EngineProgressMessage): string | undefined {
  return m.errorDetail?.message ?? m.error;
}
