import type { ProgressLineDto } from '../dto/progress-line.dto';
import type { EngineProgressMessage } from '../progress/engine-lines';

const STEP = /^Step (\d+)\/(\d+) : (.*)$/;

/**
 * Follows the classic builder's output ("Step 2/5 : RUN make", " ---> Running in …", output,
 * "Successfully built …"): which step is running, the image id at the end, and client lines.
 * The engine appends one `LABEL` step per build label after the Dockerfile's own steps;
 * `hiddenSteps` of them are kept out of the numbering and the stream, so steps match the Dockerfile.
 */
export class BuildOutput {
  step = 0;
  totalSteps = 0;
  instruction = '';
  imageId?: string;
  private hidden = false;

  constructor(private readonly hiddenSteps = 0) {}

  read(m: EngineProgressMessage): ProgressLineDto[] {
    if (m.aux?.ID) {
      this.imageId = m.aux.ID;
      return [];
    }
    const text = m.stream ?? m.status;
    if (!text) return [];
    const built = /Successfully built ([0-9a-f]{12,64})/.exec(text);
    if (built && !this.imageId) this.imageId = built[1];
    const lines: ProgressLineDto[] = [];
    let pending = '';
    const flush = () => {
      if (pending && !this.hidden) lines.push({ type: 'output', text: pending });
      pending = '';
    };
    for (const raw of text.split(/(?<=\n)/)) {
      const match = STEP.exec(raw.trim());
      if (!match) {
        pending += raw;
        continue;
      }
      flush();
      const [step, total] = [Number(match[1]), Number(match[2]) - this.hiddenSteps];
      this.hidden = step > total;
      if (this.hidden) continue;
      this.step = step;
      this.totalSteps = total;
      this.instruction = match[3];
      lines.push({ type: 'step', step, totalSteps: total, instruction: this.instruction });
    }
    if (/^Successfully (built|tagged) /m.test(pending)) this.hidden = false;
    flush();
    return lines;
  }
}
