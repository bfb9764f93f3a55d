import type { ProgressLineDto } from '../dto/progress-line.dto';

/**
 * Where a pull / push / build reports as it goes: `operation` once its operation exists, `begin`
 * once the engine has accepted the work (errors before it are ordinary HTTP errors), then `line`
 * for every progress line.
 */
export interface ProgressSink {
  operation(operationId: string): void;
  begin(): void;
  line(line: ProgressLineDto): void;
}
