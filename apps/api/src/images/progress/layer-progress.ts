import type { ProgressLineDto } from '../dto/progress-line.dto';
import type { EngineProgressMessage } from './engine-lines';

const LAYER_ID = /^[0-9a-f]{12,64}$/;

/**
 * Reads pull/push progress messages: turns each into a client line, and tells which ones are
 * worth recording (a layer's status changed, or a registry message) — not every byte tick.
 */
export class LayerProgress {
  private readonly lastStatus = new Map<string, string>();
  digest?: string;
  finalStatus?: string;
  size?: number;

  read(m: EngineProgressMessage): { line?: ProgressLineDto; changed: boolean } {
    if (m.aux?.Digest) {
      this.digest = m.aux.Digest;
      this.size = m.aux.Size;
      return { changed: false };
    }
    const status = m.status?.trim();
    if (!status) return { changed: false };
    const digest = /(?:^Digest: |digest: )(sha256:[0-9a-f]{64})/.exec(status);
    if (digest) this.digest = digest[1];
    if (status.startsWith('Status: ')) this.finalStatus = status.slice('Status: '.length);
    if (m.id && LAYER_ID.test(m.id)) {
      const { current, total } = m.progressDetail ?? {};
      const changed = this.lastStatus.get(m.id) !== status;
      this.lastStatus.set(m.id, status);
      return { line: { type: 'layer', layer: m.id, status, ...(current !== undefined ? { current } : {}), ...(total ? { total } : {}) }, changed };
    }
    return { line: { type: 'status', message: status }, changed: true };
  }
}
