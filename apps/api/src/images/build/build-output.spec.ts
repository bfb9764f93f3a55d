import { BuildOutput } from './build-output';

describe('BuildOutput', () => {
  it("numbers steps as in the Dockerfile, hiding the engine's trailing LABEL steps", () => {
    const out = new BuildOutput(2);
    const lines = [
      { stream: 'Step 1/4 : FROM busybox\n' },
      { stream: ' ---> 77da69928cac\n' },
      { stream: 'Step 2/4 : RUN echo hi\n' },
      { stream: 'hi\n' },
      { stream: 'Step 3/4 : LABEL io.berth.managed=true\n' },
      { stream: ' ---> Running in 1234\n' },
      { stream: 'Step 4/4 : LABEL io.berth.team=x\n' },
      { aux: { ID: 'sha256:abc' } },
      { stream: 'Successfully built abc\n' },
    ].flatMap((m) => out.read(m));
    expect(lines).toEqual([
      { type: 'step', step: 1, totalSteps: 2, instruction: 'FROM busybox' },
      { type: 'output', text: ' ---> 77da69928cac\n' },
      { type: 'step', step: 2, totalSteps: 2, instruction: 'RUN echo hi' },
      { type: 'output', text: 'hi\n' },
      { type: 'output', text: 'Successfully built abc\n' },
    ]);
    expect(out).toMatchObject({ step: 2, totalSteps: 2, instruction: 'RUN echo hi', imageId: 'sha256:abc' });
  });
});
