import { DomainError } from '../../common/domain-error';

/** A Dockerfile step failed: which step, which instruction, and the engine's error. 422. */
export class BuildStepFailedError extends DomainError {
  constructor(
    readonly step: number,
    readonly totalSteps: number,
    readonly instruction: string,
    readonly reason: string,
  ) {
    const message = `Build failed at step ${step}/${totalSteps} (${instruction}): ${reason}`;
    super('UNPROCESSABLE', message, [{ field: 'dockerfile', rule: 'buildStep', message }]);
  }
}
