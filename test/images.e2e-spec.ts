import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'supertest';
import { ImagesService } from '../apps/api/src/images/images.service';
import { auth, startTestApp, TestApp } from './helpers/app';
import { query } from './helpers/database';
import { BUSYBOX_IMAGE, docker, ensureBusyboxImage, followProgress, imageExists, removeContainersByLabel } from './helpers/docker';
import { startRegistry, TestRegistry } from './helpers/registry';
import { createTeamToken, defaultTeamId, TeamToken } from './helpers/tokens';

const run = randomBytes(4).toString('hex');
/** Local names this suite creates: unique per run, removed in afterAll. */
const NS = `berth-e2e-images-${run}`;
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const RUN_LABEL = 'io.berth.test-run';
const startedAt = Math.floor(Date.now() / 1000) - 1;

interface NdjsonResponse {
  status: number;
  headers: Record<string, string>;
  lines: any[];
  body: any;
}

/** Sends the request asking for the NDJSON progress stream and parses it line by line. */
async function ndjson(req: Test): Promise<NdjsonResponse> {
  const res = await req
    .set('Accept', 'application/x-ndjson')
    .buffer(true)
    .parse((response, done) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => done(null, text));
    });
  const text = String(res.body ?? '');
  const isStream = String(res.headers['content-type']).startsWith('application/x-ndjson');
  return {
    status: res.status,
    headers: res.headers as Record<string, string>,
    lines: isStream ? text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [],
    body: isStream ? undefined : JSON.parse(text || 'null'),
  };
}

/** A tar (or tar.gz) of the given files, made by the system's tar, not by Berth's own writer. */
function tarOf(files: Record<string, string | Buffer>, gzip = false): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'berth-e2e-ctx-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const out = spawnSync('tar', [gzip ? '-czf' : '-cf', '-', '-C', dir, ...Object.keys(files)], { maxBuffer: 64 * 1024 * 1024 });
    if (out.status !== 0) throw new Error(`tar failed: ${out.stderr}`);
    return out.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pushWithDocker(name: string, registry: TestRegistry): Promise<string> {
  const [repo, tag] = [name.slice(0, name.lastIndexOf(':')), name.slice(name.lastIndexOf(':') + 1)];
  const authconfig = registry.credentials ? { ...registry.credentials, serveraddress: registry.address } : undefined;
  const out = await followProgress(await docker.getImage(repo).push({ tag, authconfig }));
  const failure = out.find((o) => o.error);
  if (failure) throw new Error(`push ${name}: ${failure.error}`);
  return out.find((o) => o.aux?.Digest).aux.Digest;
}

describe('Images: pull, build, tag, push, remove, prune — team-scoped, against the real engine and registry', () => {
  let t: TestApp;
  let secured: TestRegistry;
  let plain: TestRegistry;
  let a: TeamToken;
  let b: TeamToken;
  /** An image only in the secured registry (deleted locally), and its digest there. */
  let remoteRef: string;
  let remoteDigest: string;

  beforeAll(async () => {
    [t, secured, plain] = await Promise.all([
      startTestApp({ env: { BERTH_BUILD_CONTEXT_MAX_MB: '1' } }),
      startRegistry({ auth: { username: 'berth', password: PASSWORD } }),
      startRegistry(),
    ]);
    a = await createTeamToken(t.databaseUrl, `images-a-${run}`, 'admin');
    b = await createTeamToken(t.databaseUrl, `images-b-${run}`, 'admin');
    await t.http.post('/registries').set(auth(a.token)).send({ name: 'secured', serverAddress: secured.address, username: 'berth', password: PASSWORD }).expect(201);

    // A unique image (its own top layer), pushed to the secured registry, then deleted locally.
    const source = await ensureBusyboxImage(`${NS}/source:1`, `RUN echo ${run} > /marker`);
    remoteRef = `${secured.address}/e2e-${run}/app:1`;
    await docker.getImage(source).tag({ repo: `${secured.address}/e2e-${run}/app`, tag: '1' });
    remoteDigest = await pushWithDocker(remoteRef, secured);
    await docker.getImage(remoteRef).remove();
    await docker.getImage(source).remove();
    expect(await imageExists(remoteRef)).toBe(false);
  });

  afterAll(async () => {
    await removeContainersByLabel(RUN_LABEL, run).catch(() => undefined);
    const teams = [a?.teamId, b?.teamId, t && (await defaultTeamId(t.databaseUrl))].filter(Boolean);
    const ours = (i: { RepoTags?: string[] | null; Labels?: Record<string, string> | null }) =>
      (i.RepoTags ?? []).some((tag) => tag.includes(NS) || tag.includes(`e2e-${run}`)) || teams.includes(i.Labels?.['io.berth.team'] ?? '');
    // The build cache of a failed build: untagged images whose last step mentions this run.
    for (const image of await docker.listImages({ all: true })) {
      if (image.Created < startedAt || (image.RepoTags ?? []).some((tag) => tag !== '<none>:<none>')) continue;
      const [top] = await docker.getImage(image.Id).history().catch(() => []);
      if (String(top?.CreatedBy ?? '').includes(run)) await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    }
    for (let pass = 0; pass < 3; pass++) {
      const images = (await docker.listImages({ all: true })).filter(ours);
      if (!images.length) break;
      for (const image of images) await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
    }
    await Promise.all([secured?.stop(), plain?.stop()]);
    await t?.close();
  });

  describe('pull', () => {
    it('pulls with the team registry credentials, streaming per-layer NDJSON progress that ends with the digest', async () => {
      const res = await ndjson(t.http.post('/images/pull').set(auth(a.token)).send({ image: remoteRef }));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const operationId = res.headers['x-operation-id'];
      expect(operationId).toMatch(/^[0-9a-f-]{36}$/);
      const last = res.lines.at(-1);
      const local = await docker.getImage(remoteRef).inspect();
      expect(last).toEqual({
        type: 'result',
        operationId,
        result: { operationId, reference: remoteRef, id: local.Id, digest: remoteDigest, status: `Downloaded newer image for ${remoteRef}`, registry: 'secured' },
      });
      const layers = res.lines.filter((l) => l.type === 'layer');
      expect(layers.some((l) => l.status === 'Pull complete')).toBe(true);
      expect(layers.every((l) => /^[0-9a-f]{12}$/.test(l.layer))).toBe(true);
      expect(res.lines.some((l) => l.type === 'status' && l.message === `Digest: ${remoteDigest}`)).toBe(true);

      // The operation is recorded, and progress was published as events under images/pull/<id>.
      const op = await t.http.get(`/operations/${operationId}`).set(auth(a.token));
      expect(op.body).toMatchObject({ kind: 'pull', status: 'succeeded', params: { image: remoteRef, registry: 'secured' }, result: { digest: remoteDigest } });
      const events = await query(t.databaseUrl, 'SELECT kind, payload FROM events WHERE subject = $1 ORDER BY seq', [`images/pull/${operationId}`]);
      expect(events.map((e) => e.kind)).toContain('image.pull.progress');
      expect(events.at(-1)).toEqual({ kind: 'image.pulled', payload: { operationId, reference: remoteRef, id: local.Id, digest: remoteDigest } });
      expect(events.filter((e) => e.payload.layer).length).toBeLessThanOrEqual(layers.length);
      expect(JSON.stringify([res.lines, op.body, events])).not.toContain(PASSWORD);
    });

    it('without streaming waits and answers the result as JSON', async () => {
      const res = await t.http.post('/images/pull').set(auth(a.token)).send({ image: remoteRef });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ operationId: res.headers['x-operation-id'], reference: remoteRef, digest: remoteDigest, status: `Image is up to date for ${remoteRef}` });
    });

    it('reports a wrong password as a 401 naming the registry, streaming or not', async () => {
      await t.http.post('/registries').set(auth(b.token)).send({ name: 'wrong', serverAddress: secured.address, username: 'berth', password: 'not-the-password' }).expect(201);
      const res = await t.http.post('/images/pull').set(auth(b.token)).send({ image: remoteRef });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('REGISTRY_AUTH_FAILED');
      expect(res.body.message).toContain(`Registry ${secured.address} (registry "wrong") rejected the credentials`);
      expect(res.headers['x-operation-id']).toMatch(/^[0-9a-f-]{36}$/);
      const op = await t.http.get(`/operations/${res.headers['x-operation-id']}`).set(auth(b.token));
      expect(op.body).toMatchObject({ kind: 'pull', status: 'failed', error: expect.stringContaining('rejected the credentials') });

      const streamed = await ndjson(t.http.post('/images/pull').set(auth(b.token)).send({ image: remoteRef }));
      expect(streamed.status).toBe(401);
      expect(streamed.body.code).toBe('REGISTRY_AUTH_FAILED');

      // No credentials at all (the owner's team has no registry for that host): the same 401.
      const anonymous = await t.http.post('/images/pull').set(auth(t.token)).send({ image: remoteRef });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.message).toContain(secured.address);
    });

    it('answers 404 for an image the registry does not have', async () => {
      const res = await t.http.post('/images/pull').set(auth(a.token)).send({ image: `${secured.address}/e2e-${run}/nope:1` });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
      expect(res.body.message).toContain('manifest unknown');
    });

    it.each([
      [{ image: 'Team/App' }, 'image', 'format'],
      [{ image: 'busybox@sha256:abc' }, 'image', 'digest'],
      [{ image: 'busybox:-bad' }, 'image', 'tag'],
      [{ image: 'bad_host.x/app' }, 'image', 'registry'],
      [{}, 'image', 'isString'],
      [{ image: 'busybox', extra: 1 }, 'extra', 'forbidden'],
    ])('rejects a malformed pull %j with 400 naming field and rule', async (body, field, rule) => {
      const res = await t.http.post('/images/pull').set(auth(a.token)).send(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
    });
  });

  describe('build', () => {
    const dockerfile = ['FROM berth-test/busybox:1', 'COPY hello.txt /hello.txt', `RUN cat /hello.txt && echo built-${run}`, ''].join('\n');

    it('builds from a tar context, streaming each step, and labels the image as the team’s', async () => {
      const context = tarOf({ Dockerfile: dockerfile, 'hello.txt': `hello from tar ${run}\n` });
      const res = await ndjson(t.http.post(`/images/build?tag=${NS}/tar:1`).set(auth(a.token)).set('Content-Type', 'application/x-tar').send(context));
      expect(res.status).toBe(200);
      const steps = res.lines.filter((l) => l.type === 'step');
      expect(steps).toEqual([
        { type: 'step', step: 1, totalSteps: 3, instruction: 'FROM berth-test/busybox:1' },
        { type: 'step', step: 2, totalSteps: 3, instruction: 'COPY hello.txt /hello.txt' },
        { type: 'step', step: 3, totalSteps: 3, instruction: `RUN cat /hello.txt && echo built-${run}` },
      ]);
      const output = res.lines.filter((l) => l.type === 'output').map((l) => l.text).join('');
      expect(output).toContain(`hello from tar ${run}`);
      expect(output).toContain(`built-${run}`);
      const last = res.lines.at(-1);
      expect(last).toMatchObject({ type: 'result', operationId: res.headers['x-operation-id'], result: { tags: [`${NS}/tar:1`], steps: 3 } });
      const image = await docker.getImage(`${NS}/tar:1`).inspect();
      expect(last.result.id).toBe(image.Id);
      expect(image.Config.Labels).toMatchObject({ 'io.berth.managed': 'true', 'io.berth.team': a.teamId });
      const events = await query(t.databaseUrl, 'SELECT kind FROM events WHERE subject = $1 ORDER BY seq', [`images/build/${res.headers['x-operation-id']}`]);
      expect(events.map((e) => e.kind)).toEqual(['image.build.progress', 'image.build.progress', 'image.build.progress', 'image.built']);
    });

    it('builds from a gzip-compressed context and, without streaming, answers the result as JSON', async () => {
      const context = tarOf({ Dockerfile: dockerfile, 'hello.txt': 'gz\n' }, true);
      const res = await t.http.post(`/images/build?tag=${NS}/gz:1&tag=${NS}/gz:latest`).set(auth(a.token)).set('Content-Type', 'application/gzip').send(context);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ operationId: res.headers['x-operation-id'], id: expect.stringMatching(/^sha256:/), tags: [`${NS}/gz:1`, `${NS}/gz:latest`], steps: 3 });
      expect((await docker.getImage(`${NS}/gz:latest`).inspect()).Id).toBe(res.body.id);
    });

    it('builds from an inline Dockerfile with files and build args', async () => {
      const res = await t.http
        .post(`/images/build?tag=${NS}/inline:1&buildArgs=${encodeURIComponent(JSON.stringify({ GREETING: 'world' }))}`)
        .set(auth(a.token))
        .send({
          dockerfile: ['FROM berth-test/busybox:1', 'ARG GREETING', 'COPY conf/greeting.txt /greeting.txt', 'RUN test "$(cat /greeting.txt)" = "hello $GREETING"', 'ENV GREETING=$GREETING', ''].join('\n'),
          files: { 'conf/greeting.txt': 'hello world' },
        });
      expect(res.status).toBe(200);
      const image = await docker.getImage(`${NS}/inline:1`).inspect();
      expect(image.Id).toBe(res.body.id);
      expect(image.Config.Env).toContain('GREETING=world');
      // Build-arg values are not recorded with the operation, only their names.
      const op = await t.http.get(`/operations/${res.body.operationId}`).set(auth(a.token));
      expect(op.body.params).toMatchObject({ tags: [`${NS}/inline:1`], buildArgNames: ['GREETING'] });
    });

    it('ends the stream at a failing RUN step with the step number, the instruction and the error', async () => {
      const body = { dockerfile: ['FROM berth-test/busybox:1', `RUN echo step-two-${run}`, `RUN echo boom-${run} >&2 && exit 3`, 'RUN echo never-${run}', ''].join('\n') };
      const res = await ndjson(t.http.post(`/images/build?tag=${NS}/broken:1`).set(auth(a.token)).send(body));
      expect(res.status).toBe(200);
      const last = res.lines.at(-1);
      expect(last).toEqual({
        type: 'error',
        operationId: res.headers['x-operation-id'],
        error: {
          statusCode: 422,
          code: 'UNPROCESSABLE',
          message: expect.stringContaining(`Build failed at step 3/4 (RUN echo boom-${run} >&2 && exit 3)`),
          step: 3,
          totalSteps: 4,
          instruction: `RUN echo boom-${run} >&2 && exit 3`,
        },
      });
      expect(last.error.message).toContain('returned a non-zero code: 3');
      expect(res.lines.filter((l) => l.type === 'output').map((l) => l.text).join('')).toContain(`boom-${run}`);
      expect(res.lines.some((l) => l.type === 'step' && l.step === 4)).toBe(false);
      expect(await imageExists(`${NS}/broken:1`)).toBe(false);

      const plainJson = await t.http.post(`/images/build?tag=${NS}/broken:1`).set(auth(a.token)).send(body);
      expect(plainJson.status).toBe(422);
      expect(plainJson.body.details).toEqual([{ field: 'dockerfile', rule: 'buildStep', message: expect.stringContaining('step 3/4') }]);
      const op = await t.http.get(`/operations/${plainJson.headers['x-operation-id']}`).set(auth(a.token));
      expect(op.body).toMatchObject({ kind: 'build', status: 'failed', error: expect.stringContaining('step 3/4') });
    });

    it('refuses a context over BERTH_BUILD_CONTEXT_MAX_MB with 413, with or without Content-Length', async () => {
      const big = tarOf({ Dockerfile: 'FROM berth-test/busybox:1\n', 'blob.bin': randomBytes(2 * 1024 * 1024) });
      const declared = await t.http.post(`/images/build?tag=${NS}/big:1`).set(auth(a.token)).set('Content-Type', 'application/x-tar').send(big);
      expect(declared.status).toBe(413);
      expect(declared.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('BERTH_BUILD_CONTEXT_MAX_MB') });

      const chunked = await new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = httpRequest(`${t.url}/images/build?tag=${NS}/big:1`, { method: 'POST', headers: { ...auth(a.token), 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        });
        req.on('error', reject);
        for (let i = 0; i < big.length; i += 64 * 1024) req.write(big.subarray(i, i + 64 * 1024));
        req.end();
      });
      expect(chunked.status).toBe(413);
      expect(chunked.body.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await imageExists(`${NS}/big:1`)).toBe(false);
    });

    it('rejects other content types (415) and bad parameters (400 naming field and rule)', async () => {
      expect((await t.http.post('/images/build').set(auth(a.token)).set('Content-Type', 'text/plain').send('FROM x')).status).toBe(415);
      const cases: Array<[string, object, string, string]> = [
        ['tag=Bad%20Tag', { dockerfile: 'FROM x' }, 'tag', 'format'],
        ['buildArgs=notjson', { dockerfile: 'FROM x' }, 'buildArgs', 'json'],
        ['buildArgs=%7B%221X%22%3A%22v%22%7D', { dockerfile: 'FROM x' }, 'buildArgs.1X', 'name'],
        ['nocache=maybe', { dockerfile: 'FROM x' }, 'nocache', 'isBoolean'],
        ['', { dockerfile: 'FROM x', files: { '../escape': 'x' } }, 'files.../escape', 'relativePath'],
        ['', { dockerfile: 'FROM x', unknown: true }, 'unknown', 'forbidden'],
        ['', { files: {} }, 'dockerfile', 'isString'],
      ];
      for (const [qs, body, field, rule] of cases) {
        const res = await t.http.post(`/images/build?${qs}`).set(auth(a.token)).send(body);
        expect([qs, res.status]).toEqual([qs, 400]);
        expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
      }
    });
  });

  describe('team scoping', () => {
    it("lists, inspects and acts on only the team's own images; another team's are 404", async () => {
      const pulled = await docker.getImage(remoteRef).inspect();
      const built = await docker.getImage(`${NS}/tar:1`).inspect();

      const listA = await t.http.get(`/images?label=io.berth.team=${a.teamId}`).set(auth(a.token));
      expect(listA.status).toBe(200);
      expect(listA.body.map((i: { id: string }) => i.id)).toContain(built.Id);
      expect((await t.http.get('/images').set(auth(a.token))).body.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([pulled.Id, built.Id]));
      const byReference = await t.http.get(`/images?reference=${NS}/tar*&dangling=false`).set(auth(a.token));
      expect(byReference.body).toEqual([expect.objectContaining({ id: built.Id, repoTags: [`${NS}/tar:1`], dangling: false, labels: expect.objectContaining({ 'io.berth.team': a.teamId }) })]);

      const listB = await t.http.get('/images').set(auth(b.token));
      expect(listB.status).toBe(200);
      const seenByB = listB.body.map((i: { id: string }) => i.id);
      expect(seenByB).not.toContain(pulled.Id);
      expect(seenByB).not.toContain(built.Id);
      expect(seenByB).not.toContain((await docker.getImage(BUSYBOX_IMAGE).inspect()).Id);

      for (const res of [
        await t.http.get(`/images/${remoteRef}`).set(auth(b.token)),
        await t.http.get(`/images/${built.Id}`).set(auth(b.token)),
        await t.http.delete(`/images/${NS}/tar:1`).set(auth(b.token)),
        await t.http.post(`/images/${NS}/tar:1/tag`).set(auth(b.token)).send({ target: `${NS}/stolen:1` }),
        await t.http.post(`/images/${remoteRef}/push`).set(auth(b.token)).send({}),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('NOT_FOUND');
      }
      // B cannot take A's name either: building or tagging onto it is a conflict.
      const steal = await t.http.post(`/images/build?tag=${NS}/tar:1`).set(auth(b.token)).send({ dockerfile: 'FROM berth-test/busybox:1\n' });
      expect(steal.status).toBe(409);
      expect((await docker.getImage(`${NS}/tar:1`).inspect()).Id).toBe(built.Id);

      const inspectA = await t.http.get(`/images/${NS}/tar:1`).set(auth(a.token));
      expect(inspectA.status).toBe(200);
      expect(inspectA.body).toMatchObject({ id: built.Id, repoTags: [`${NS}/tar:1`], os: 'linux', config: { labels: expect.objectContaining({ 'io.berth.team': a.teamId }) } });
      expect(inspectA.body.history[0].tags).toEqual([`${NS}/tar:1`]);
      expect(inspectA.body.history).toEqual(expect.arrayContaining([expect.objectContaining({ createdBy: expect.stringContaining(`built-${run}`) })]));
      expect(inspectA.body.history.length).toBeGreaterThanOrEqual(3);
      // The owner token sees everything.
      expect((await t.http.get(`/images/${BUSYBOX_IMAGE}`).set(auth(t.token))).status).toBe(200);
      expect((await t.http.get(`/images/${BUSYBOX_IMAGE}`).set(auth(a.token))).status).toBe(404);
      expect((await t.http.get('/images/Not:A:Ref').set(auth(a.token))).status).toBe(400);
    });

    it("matches ?reference= only on the names the team may see, never on another team's tag of a shared image", async () => {
      // Team C pulls the same image A pulled (one engine image, claimed by both); A adds a tag of its own.
      const c = await createTeamToken(t.databaseUrl, `images-c-${run}`, 'admin');
      await t.http.post('/registries').set(auth(c.token)).send({ name: 'secured', serverAddress: secured.address, username: 'berth', password: PASSWORD }).expect(201);
      expect((await t.http.post('/images/pull').set(auth(c.token)).send({ image: remoteRef })).status).toBe(200);
      const privateTag = `${NS}/a-private-${run}:1`;
      expect((await t.http.post(`/images/${remoteRef}/tag`).set(auth(a.token)).send({ target: privateTag })).status).toBe(201);
      const shared = await docker.getImage(remoteRef).inspect();
      expect(shared.RepoTags).toEqual(expect.arrayContaining([remoteRef, privateTag]));

      // The engine matches A's tag on the shared image; C must not learn that the tag exists.
      const probe = await t.http.get(`/images?reference=${encodeURIComponent(`${NS}/a-private-*`)}`).set(auth(c.token));
      expect(probe.status).toBe(200);
      expect(probe.body).toEqual([]);
      // C's own name matches, and shows only C's names.
      const own = await t.http.get(`/images?reference=${encodeURIComponent(`${secured.address}/e2e-${run}/app`)}`).set(auth(c.token));
      expect(own.body).toEqual([expect.objectContaining({ id: shared.Id, repoTags: [remoteRef] })]);
      // A, who owns the tag, still finds the image by it.
      const mine = await t.http.get(`/images?reference=${encodeURIComponent(`${NS}/a-private-*`)}`).set(auth(a.token));
      expect(mine.body).toEqual([expect.objectContaining({ id: shared.Id, repoTags: expect.arrayContaining([privateTag]) })]);
    });
  });

  describe('tag and push', () => {
    it("tags an image and pushes it to the team's registry with its credentials, streaming progress", async () => {
      const target = `${secured.address}/e2e-${run}/pushed:1`;
      const tagged = await t.http.post(`/images/${NS}/tar:1/tag`).set(auth(a.token)).send({ target });
      expect(tagged.status).toBe(201);
      const id = (await docker.getImage(`${NS}/tar:1`).inspect()).Id;
      expect(tagged.body).toEqual({ id, reference: target });
      expect((await docker.getImage(target).inspect()).Id).toBe(id);

      const res = await ndjson(t.http.post(`/images/${target}/push`).set(auth(a.token)).send({}));
      expect(res.status).toBe(200);
      const last = res.lines.at(-1);
      expect(last).toMatchObject({ type: 'result', result: { reference: target, registry: 'secured', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) } });
      expect(res.lines.some((l) => l.type === 'layer' && (l.status === 'Pushed' || l.status === 'Layer already exists'))).toBe(true);

      // The registry itself now serves that manifest under that digest.
      const manifest = await fetch(`http://${secured.address}/v2/e2e-${run}/pushed/manifests/1`, {
        method: 'HEAD',
        headers: { Authorization: `Basic ${Buffer.from(`berth:${PASSWORD}`).toString('base64')}`, Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      });
      expect(manifest.status).toBe(200);
      expect(manifest.headers.get('docker-content-digest')).toBe(last.result.digest);
      const events = await query(t.databaseUrl, 'SELECT kind FROM events WHERE subject = $1 ORDER BY seq', [`images/push/${res.headers['x-operation-id']}`]);
      expect(events.at(-1)?.kind).toBe('image.pushed');
    });

    it('refuses to push to a host the team has no registry for (422), or a digest/id reference (400)', async () => {
      const target = `127.0.0.2:1/e2e-${run}/nowhere:1`;
      await t.http.post(`/images/${NS}/tar:1/tag`).set(auth(a.token)).send({ target }).expect(201);
      const res = await t.http.post(`/images/${target}/push`).set(auth(a.token)).send({});
      expect(res.status).toBe(422);
      expect(res.body.message).toContain('no registry for 127.0.0.2:1');
      const id = (await docker.getImage(target).inspect()).Id;
      expect((await t.http.post(`/images/${id}/push`).set(auth(a.token)).send({})).status).toBe(400);
      expect((await t.http.post(`/images/${NS}/tar:1/tag`).set(auth(a.token)).send({ target: `x@sha256:${'a'.repeat(64)}` })).status).toBe(400);
    });
  });

  describe('remove and prune', () => {
    const build = async (token: string, tag?: string, extra = '') => {
      const res = await t.http.post(`/images/build${tag ? `?tag=${tag}` : ''}`).set(auth(token)).send({ dockerfile: `FROM berth-test/busybox:1\nRUN echo ${tag ?? 'untagged'}-${run}-${extra} > /id\n` });
      expect(res.status).toBe(200);
      return res.body.id as string;
    };

    it('answers 409 while a container uses the image, then removes it', async () => {
      const id = await build(a.token, `${NS}/del:1`);
      const container = await docker.createContainer({ Image: `${NS}/del:1`, Cmd: ['true'], Labels: { [RUN_LABEL]: run } });
      const blocked = await t.http.delete(`/images/${NS}/del:1`).set(auth(a.token));
      expect(blocked.status).toBe(409);
      expect(blocked.body.message).toMatch(/container [0-9a-f]{12} is using/);
      await container.remove({ force: true });
      const removed = await t.http.delete(`/images/${NS}/del:1`).set(auth(a.token));
      expect(removed.status).toBe(200);
      expect(removed.body).toEqual({ untagged: [`${NS}/del:1`], deleted: expect.arrayContaining([id]), released: false });
      expect(await imageExists(id)).toBe(false);
      expect((await t.http.get(`/images/${id}`).set(auth(a.token))).status).toBe(404);
    });

    it('needs ?force to remove by id an image with several names', async () => {
      const id = await build(a.token, `${NS}/force:1`);
      await t.http.post(`/images/${NS}/force:1/tag`).set(auth(a.token)).send({ target: `${NS}/force:2` }).expect(201);
      expect((await t.http.delete(`/images/${id}`).set(auth(a.token))).status).toBe(409);
      const forced = await t.http.delete(`/images/${id}?force=true`).set(auth(a.token));
      expect(forced.status).toBe(200);
      expect(forced.body.untagged).toEqual(expect.arrayContaining([`${NS}/force:1`, `${NS}/force:2`]));
      expect(forced.body.deleted).toContain(id);
      expect(await imageExists(id)).toBe(false);
    });

    it("prunes only the team's own unused untagged images", async () => {
      const dangling = await build(b.token, undefined, 'prune');
      const danglingA = await t.http.get('/images?dangling=true').set(auth(a.token));
      expect(danglingA.body.map((i: { id: string }) => i.id)).not.toContain(dangling);
      expect((await t.http.get('/images?dangling=true').set(auth(b.token))).body.map((i: { id: string }) => i.id)).toContain(dangling);

      const byA = await t.http.post('/images/prune').set(auth(a.token)); // no body at all: the defaults
      expect(byA.status).toBe(200);
      expect(byA.body.deleted).not.toContain(dangling);
      expect(await imageExists(dangling)).toBe(true);

      const byB = await t.http.post('/images/prune').set(auth(b.token)).send({});
      expect(byB.status).toBe(200);
      expect(byB.body.deleted).toContain(dangling);
      expect(byB.body.spaceReclaimed).toBeGreaterThan(0);
      expect(await imageExists(dangling)).toBe(false);
      expect(await imageExists(`${NS}/tar:1`)).toBe(true);
    });
  });

  describe('ensureImage (what POST /containers uses)', () => {
    it("uses a team's local image, pulls a missing one with the team's registry, and refuses 'never' when missing", async () => {
      const images = t.app.get(ImagesService);
      const principalB = { tokenId: b.tokenId, teamId: b.teamId, role: 'admin' as const, deployments: [] };

      // An image only in the plain (anonymous) registry: team B has no credentials and needs none.
      const onlyRemote = `${plain.address}/e2e-${run}/tool:1`;
      const source = await ensureBusyboxImage(`${NS}/tool-source:1`, `RUN echo tool-${run} > /tool`);
      await docker.getImage(source).tag({ repo: `${plain.address}/e2e-${run}/tool`, tag: '1' });
      await pushWithDocker(onlyRemote, plain);
      await docker.getImage(onlyRemote).remove();
      await docker.getImage(source).remove();

      await expect(images.ensureImage(principalB, onlyRemote, 'never')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const steps: string[] = [];
      const pulled = await images.ensureImage(principalB, onlyRemote, 'missing', (m) => steps.push(m));
      expect(pulled).toEqual({ id: (await docker.getImage(onlyRemote).inspect()).Id, reference: onlyRemote, pulled: true });
      expect(steps[0]).toBe(`Pulling ${onlyRemote}`);
      expect(await images.ensureImage(principalB, onlyRemote, 'missing')).toEqual({ ...pulled, pulled: false });
      expect(await images.ensureImage(principalB, onlyRemote, 'always')).toEqual({ ...pulled, pulled: true });

      // Present on the host but never pulled by team B: it must prove access by pulling, and cannot.
      await expect(images.ensureImage(principalB, `${NS}/tar:1`, 'never')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(images.ensureImage(principalB, remoteRef, 'missing')).rejects.toMatchObject({ code: 'REGISTRY_AUTH_FAILED' });
    });
  });
});
