import { randomBytes } from 'node:crypto';
import { BERTH_LABELS } from '../apps/api/src/docker/docker.service';
import { auth, startTestApp, TestApp } from './helpers/app';
import { BUSYBOX_IMAGE, docker, ensureBusyboxImage, removeContainersByLabel } from './helpers/docker';
import { defaultTeamId } from './helpers/tokens';

const LABEL = 'io.berth.test.exec-timeout';
const suite = randomBytes(4).toString('hex');

describe('POST /containers/:id/exec timeoutSeconds (real engine)', () => {
  let t: TestApp;
  let id: string;

  const exec = (body: object) => t.http.post(`/containers/${id}/exec`).set(auth(t.token)).send(body);
  /** The processes running in the container, as the engine's `ps` shows them. */
  const processes = async () => ((await docker.getContainer(id).top()) as { Processes: string[][] }).Processes.map((p) => p.join(' '));

  beforeAll(async () => {
    t = await startTestApp();
    await ensureBusyboxImage();
    const c = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['sleep', '600'],
      Labels: { [LABEL]: suite, [BERTH_LABELS.team]: await defaultTeamId(t.databaseUrl) },
    });
    await c.start();
    id = c.id;
  });

  afterAll(async () => {
    await removeContainersByLabel(LABEL, suite);
    await t?.close();
  });

  it('answers a command that outlives timeoutSeconds with 504 TIMEOUT instead of hanging, saying it is still running', async () => {
    const res = await exec({ cmd: ['sleep', '97'], timeoutSeconds: 1 });
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({
      statusCode: 504,
      code: 'TIMEOUT',
      message: expect.stringMatching(/did not finish within 1 s .*still running .*engine cannot kill an exec/),
      details: [{ field: 'timeoutSeconds', rule: 'exceeded', message: expect.any(String) }],
    });
    // What the engine allows: there is no call to stop an exec, so its process keeps running.
    expect((await processes()).some((p) => p.includes('sleep 97'))).toBe(true);
  });

  it('a command that finishes in time answers as before', async () => {
    const res = await exec({ cmd: ['echo', 'in-time'], timeoutSeconds: 30 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ exitCode: 0, stdout: 'in-time\n', stderr: '', truncated: false });
  });

  it('validates timeoutSeconds: a whole number from 1 to 3600', async () => {
    for (const timeoutSeconds of [0, 3601, 1.5, '5']) {
      const res = await exec({ cmd: ['true'], timeoutSeconds });
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'timeoutSeconds' })]));
    }
  });
});
