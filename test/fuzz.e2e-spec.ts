import fc from 'fast-check';
import { auth, startTestApp, TestApp } from './helpers/app';
import { removeTeamObjects } from './helpers/containers';
import { grantImage } from './helpers/deployments';
import { BUSYBOX_IMAGE, docker } from './helpers/docker';
import { createTeamToken, TeamToken } from './helpers/tokens';

/**
 * Property: whatever malformed or refused payload reaches a create route, the answer is a 4xx
 * with a message — never a 5xx — and the engine has no new container afterwards.
 *
 * Every payload is invalid by construction: either junk (not JSON, not an object, or an object
 * carrying a field that is wrong for the route), or a valid base payload with at least one field
 * replaced by a value that field never accepts (wrong type, out of range, malformed, or refused by
 * the container policy). Image references are the local test image or invalid ones, so nothing is
 * ever pulled from outside.
 */

const RUNS = { containers: 300, putDeployment: 250, postDeployment: 150, registries: 150, policy: 150 };
/** A failure prints its seed; FUZZ_SEED=<seed> replays that run. */
const SEED = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {};

/** Strings that are never an acceptable image reference (and so never pulled). */
const badImage = fc.oneof(
  fc.constantFrom('', 'UPPER/Case::bad', 'a b', '::', '@sha256:zz', '-leading', 'x'.repeat(600), 'busybox@sha256:nothex', 'repo:tag:tag', 'http://registry/x', '../x', 'a\u0000b'),
  fc.string().map((s) => `Bad Image ${s}`),
);
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), fc.double());
const notAStringArray = fc.oneof(fc.string(), fc.integer(), fc.array(notAString, { minLength: 1, maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
const notAnInt = fc.oneof(fc.string(), fc.boolean(), fc.double({ noInteger: true, noNaN: true }), fc.array(fc.integer(), { maxLength: 2 }));
const notABoolean = fc.oneof(fc.string(), fc.integer(), fc.array(fc.boolean(), { maxLength: 2 }));
const notAnObject = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }));
/** For fields that take an array of objects: [] would be valid, so only non-empty junk. */
const notAnObjectArray = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), fc.array(fc.oneof(fc.string(), fc.integer()), { minLength: 1, maxLength: 2 }));
const nul = fc.string({ maxLength: 8 }).map((s) => `${s}\u0000${s}`);
/** Required fields may not be null either (an optional one may: null means "not given"). */
const missing = fc.constantFrom(null, undefined);
/** Keys no route knows (including prototype names). */
const unknownKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'HostConfig', 'Privileged', ''), fc.string({ minLength: 1, maxLength: 12 }).map((s) => `zz${s}`));

type Field = [string, fc.Arbitrary<unknown>];
const corrupt = (fields: Field[]) => fc.oneof(...fields.map(([key, value]) => value.map((v) => [key, v] as [string, unknown])));
/** A base payload with 1–3 fields replaced by values those fields never accept, or an unknown field added. */
const corrupted = (base: () => Record<string, unknown>, fields: Field[]) =>
  fc.tuple(fc.array(corrupt(fields), { minLength: 1, maxLength: 3 }), fc.option(fc.tuple(unknownKey, fc.jsonValue()), { freq: 4 })).map(([changes, extra]) => {
    const body = base();
    for (const [key, value] of changes) setPath(body, key, value);
    if (extra) Object.defineProperty(body, extra[0], { value: extra[1], enumerable: true, configurable: true, writable: true });
    return { kind: 'json' as const, body };
  });

function setPath(body: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at: Record<string, unknown> = body;
  for (const k of keys.slice(0, -1)) {
    // An earlier change may have made the parent a non-object; the later change replaces it (still invalid by itself).
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  at[keys.at(-1)!] = value;
}

/** Junk bodies: invalid JSON text, JSON that is not an object, or an object with `poison` set to something invalid. */
const junk = (poison: Field) =>
  fc.oneof(
    fc.string({ maxLength: 200 }).map((s) => ({ kind: 'raw' as const, text: `${s}\u0001`, type: 'application/json' })),
    fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 4 })).map((body) => ({ kind: 'json' as const, body })),
    fc.tuple(fc.dictionary(fc.string({ maxLength: 16 }), fc.jsonValue(), { maxKeys: 6 }), poison[1]).map(([obj, bad]) => ({ kind: 'json' as const, body: { ...obj, [poison[0]]: bad } })),
  );

/** Fields of the run/spec bodies shared by POST /containers and deployment specs, each with values it never accepts. */
const hostOptionFields: Field[] = [
  ['privileged', fc.oneof(notABoolean, fc.constant(true))],
  ['pidMode', fc.oneof(fc.constantFrom('container:abc', 'HOST', '', 'host'), notAString)],
  ['ipcMode', fc.oneof(fc.constantFrom('container:abc', 'hostt', 'host'), notAString)],
  ['utsMode', fc.oneof(fc.constantFrom('container:abc', 'host'), notAString)],
  ['usernsMode', fc.oneof(fc.constantFrom('keep-id', 'host'), notAString)],
  ['capAdd', fc.oneof(fc.constant(['SYS_ADMIN']), fc.constant(['ALL']), fc.constant(['NOT A CAP']), notAStringArray)],
  ['capDrop', fc.oneof(fc.constant(['bad cap!']), notAStringArray)],
  ['devices', fc.oneof(fc.constant([{ hostPath: '/dev/fuse' }]), fc.constant([{ hostPath: 'relative' }]), fc.constant([{ hostPath: '/dev/null', permissions: 'rx' }]), fc.constant([{ hostPath: '/dev/null', extra: 1 }]), fc.constant([[]]), notAnObjectArray)],
  ['sysctls', fc.oneof(fc.constant({ 'kernel.msgmax': '1' }), fc.constant({ 'not a sysctl': '1' }), fc.constant({ 'net.ipv4.ip_forward': 1 }), notAnObject)],
  ['securityOpt', fc.oneof(fc.constant(['seccomp=unconfined']), fc.constant(['apparmor=unconfined']), fc.constant(['label=disable']), fc.constant(['bogus']), notAStringArray)],
];

const runBase = () => ({ image: BUSYBOX_IMAGE, command: ['sleep', '30'], ports: [{ containerPort: 8080 }], volumes: [{ type: 'volume', source: 'fuzz-data', target: '/data' }], memoryBytes: 64 * 1024 * 1024 });
const runFields: Field[] = [
  ['image', fc.oneof(badImage, notAString, missing)],
  ['name', fc.oneof(fc.constantFrom('', '-x', 'a/b', 'x'.repeat(200), 'a b'), notAString)],
  ['command', fc.oneof(notAStringArray, nul.map((v) => ['sh', v]))],
  ['entrypoint', notAStringArray],
  ['env', fc.oneof(nul.map((v) => ({ A: v })), fc.constant({ '1BAD': 'v' }), fc.constant({ A: 1 }), fc.constant({ 'A-B': 'x' }), notAnObject)],
  ['workingDir', fc.oneof(fc.constantFrom('relative', '/a/../b', ''), notAString)],
  ['user', fc.oneof(fc.constantFrom('a b', 'x:y:z', ''), notAString)],
  ['tty', notABoolean],
  ['ports', fc.oneof(fc.constant([{ containerPort: 0 }]), fc.constant([{ containerPort: 70000 }]), fc.constant([{ containerPort: 80, hostIp: 'nope' }]), fc.constant([{ containerPort: 80, hostPort: 80 }]), fc.constant([{ containerPort: 80, protocol: 'icmp' }]), fc.constant([[]]), notAnObjectArray)],
  ['ports.0.containerPort', notAnInt],
  ['ports.0.hostPort', fc.oneof(notAnInt, fc.integer({ min: -100, max: 1023 }), fc.integer({ min: 65536 }))],
  ['volumes', fc.oneof(fc.constant([{ type: 'nfs', source: 'x', target: '/x' }]), fc.constant([{ type: 'bind', source: 'rel', target: '/x' }]), fc.constant([{ type: 'bind', source: '/etc', target: '/x' }]), fc.constant([{ type: 'bind', source: '/var/run/docker.sock', target: '/x' }]), fc.constant([{ type: 'volume', source: 'v', target: 'rel' }]), fc.constant([{ type: 'volume', source: '../v', target: '/x' }]), fc.constant([[]]), notAnObjectArray)],
  ['volumes.0.source', fc.oneof(notAString, fc.constantFrom('', '/etc', '/', '/proc'))],
  ['networks', fc.oneof(fc.constant(['bad name!']), fc.constant(['host', 'bridge']), fc.constant(['host']), fc.constant('bridge'), notAStringArray)],
  ['restartPolicy', fc.oneof(fc.constant({ name: 'sometimes' }), fc.constant({ name: 'always', maximumRetryCount: 3 }), fc.constant('always'), fc.constant([]), notAnObject)],
  ['memoryBytes', fc.oneof(notAnInt, fc.integer({ min: -10, max: 1024 }), fc.constant(64 * 1024 ** 3), fc.constant(2 ** 60))],
  ['cpus', fc.oneof(fc.string(), fc.constantFrom(0, -1, 2000, 64), fc.boolean())],
  ['healthcheck', fc.oneof(fc.constant({ test: [] }), fc.constant({ test: ['WHAT', 'x'] }), fc.constant({ test: ['CMD'] }), fc.constant({ test: ['CMD-SHELL', 'a', 'b'] }), fc.constant([]), notAnObject)],
  ['labels', fc.oneof(fc.constant({ 'io.berth.team': 'x' }), fc.constant({ a: 1 }), fc.constant({ '-x': 'y' }), notAnObject)],
  ['autoRemove', notABoolean],
  ['pull', fc.oneof(fc.constantFrom('sometimes', 'ALWAYS'), notAString)],
  ...hostOptionFields,
];

const specBase = () => ({ image: BUSYBOX_IMAGE, command: ['sleep', '30'], replicas: 1, ports: [{ containerPort: 8080 }], strategy: { type: 'recreate' }, migrate: { command: ['true'] } });
const specFields: Field[] = [
  ['image', fc.oneof(badImage, notAString, missing)],
  ['registry', fc.oneof(notAString, fc.constant('x'.repeat(200)))],
  ['command', fc.oneof(notAStringArray, nul.map((v) => ['sh', v]))],
  ['env', fc.oneof(nul.map((v) => ({ A: v })), fc.constant({ '1BAD': 'v' }), fc.constant({ A: 1 }), notAnObject)],
  ['secretEnv', fc.oneof(fc.constant({ 'bad key': 'v' }), fc.constant({ A: 1 }), notAnObject)],
  ['ports', fc.oneof(fc.constant([{ containerPort: 0 }]), fc.constant([{ containerPort: 80, hostIp: '::1' }]), fc.constant([{ containerPort: 80, hostPort: 80 }]), fc.constant([{ containerPort: 80 }, { containerPort: 80 }]), fc.constant([[]]), notAnObjectArray)],
  ['volumes', fc.oneof(fc.constant([{ source: '/etc', target: '/x' }]), fc.constant([{ source: 'bad name!', target: '/x' }]), fc.constant([{ type: 'volume', source: '/abs', target: '/x' }]), fc.constant([{ source: 'v', target: '/x' }, { source: 'w', target: '/x' }]), fc.constant([{ source: '/tmp/../var/run', target: '/x' }]), notAnObjectArray)],
  ['networks', fc.oneof(fc.constant(['bad name!']), fc.constant(['host']), notAStringArray)],
  ['replicas', fc.oneof(notAnInt, fc.integer({ min: -100, max: -1 }), fc.integer({ min: 101 }))],
  ['resources', fc.oneof(fc.constant({ memoryBytes: 1 }), fc.constant({ memoryBytes: 64 * 1024 ** 3 }), fc.constant({ cpus: 0 }), fc.constant({ cpus: 64 }), fc.constant({ gpus: 1 }), fc.constant([]), notAnObject)],
  ['healthcheck', fc.oneof(fc.constant({ command: 'true' }), fc.constant({ command: ['true'], retries: 0 }), fc.constant([]), notAnObject)],
  ['restartPolicy', fc.oneof(fc.constant({ name: 'no' }), notAnObject)],
  ['labels', fc.oneof(fc.constant({ 'io.berth.x': 'y' }), fc.constant({ a: 1 }), notAnObject)],
  ['migrate', fc.oneof(fc.constant({ command: 'true' }), fc.constant({ command: ['true'], timeoutSeconds: 0 }), fc.constant({ command: ['true'], env: { 'bad key': 'x' } }), fc.constant([]), notAnObject)],
  ['strategy', fc.oneof(fc.constant({ type: 'blue-green' }), fc.constant({ type: 'rolling', maxSurge: 0, maxUnavailable: 0 }), fc.constant({ type: 'rolling', maxSurge: -1 }), fc.constant([]), notAnObject)],
  ['changeCause', fc.oneof(notAString, fc.constant('x'.repeat(600)), nul)],
  ...hostOptionFields,
];

const badName = fc.oneof(fc.constantFrom('UPPER', '-x', 'x-', 'a_b', 'x'.repeat(64), '%2e%2e', 'a.b', ' '), fc.string({ minLength: 1, maxLength: 10 }).map((s) => `Z${encodeURIComponent(s)}`));

const registryBase = () => ({ name: 'fuzz', serverAddress: '127.0.0.1:5999', username: 'u', password: 'p' });
const registryFields: Field[] = [
  ['name', fc.oneof(fc.constantFrom('', 'UPPER', '-x', 'a b', 'x'.repeat(64)), notAString, missing)],
  ['serverAddress', fc.oneof(fc.constantFrom('', 'http://x', 'a b', 'host:0', 'host:99999', '[::1', 'x/y'), notAString, missing)],
  ['username', fc.oneof(fc.constantFrom('', 'a:b', 'a b'), notAString)],
  ['password', fc.oneof(fc.constant(''), notAString, fc.constant('x'.repeat(5000)))],
];

const policyBase = () => ({ allow: { capabilities: ['NET_ADMIN'] }, bindMounts: ['/srv/fuzz'], hostPorts: { min: 2000, max: 3000 }, limits: { memoryBytes: null, cpus: 2 }, quotas: { containers: 10 } });
const policyFields: Field[] = [
  ['allow', fc.oneof(fc.constant([]), notAnObject)],
  ['allow.privileged', notABoolean],
  ['allow.hostNetwork', notABoolean],
  ['allow.capabilities', fc.oneof(fc.constant(['NOT A CAP']), notAStringArray)],
  ['bindMounts', fc.oneof(fc.constant(['relative']), fc.constant(['/a/../b']), fc.constant('/srv'), notAStringArray)],
  ['hostPorts', fc.oneof(fc.constant({ min: 0, max: 10 }), fc.constant({ min: 3000, max: 2000 }), fc.constant({ min: 1 }), notAnObject)],
  ['hostPorts.max', fc.oneof(notAnInt, fc.integer({ min: 65536 }))],
  ['limits', fc.oneof(fc.constant([]), notAnObject)],
  ['limits.memoryBytes', fc.oneof(fc.string(), fc.integer({ max: -1 }), fc.boolean())],
  ['limits.cpus', fc.oneof(fc.string(), fc.constantFrom(-1, 5000), fc.boolean())],
  ['quotas', fc.oneof(fc.constant({ containers: -1 }), fc.constant({ replicasPerDeployment: 1.5 }), fc.constant({ totalMemoryBytes: 'lots' }), notAnObject)],
];

describe('Fuzz: malformed and refused payloads at the create routes (fast-check)', () => {
  let t: TestApp;
  let team: TeamToken;
  let before: string[];
  const seen = { total: 0, byStatus: new Map<number, number>() };
  const containersOf = async () => (await docker.listContainers({ all: true, filters: { label: [`io.berth.team=${team.teamId}`] } })).map((c) => c.Id).sort();

  type Payload = { kind: 'json'; body: unknown } | { kind: 'raw'; text: string; type: string };
  const send = (method: 'post' | 'put', path: string, token: string, payload: Payload) => {
    const req = t.http[method](path).set(auth(token));
    return payload.kind === 'raw' ? req.set('Content-Type', payload.type).send(payload.text) : req.set('Content-Type', 'application/json').send(JSON.stringify(payload.body));
  };
  const expect4xx = (what: string, payload: Payload, res: { status: number; body: any; text: string }) => {
    seen.total++;
    seen.byStatus.set(res.status, (seen.byStatus.get(res.status) ?? 0) + 1);
    const ok = res.status >= 400 && res.status < 500 && typeof res.body?.message === 'string' && res.body.message.length > 0;
    if (!ok) throw new Error(`${what} answered ${res.status} ${res.text.slice(0, 500)} to ${JSON.stringify(payload).slice(0, 1000)}`);
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { BERTH_RATE_LIMIT_WRITES: '0', BERTH_RATE_LIMIT_READS: '0' } });
    team = await createTeamToken(t.databaseUrl, 'fuzz', 'admin');
    await grantImage(t.databaseUrl, team.teamId, BUSYBOX_IMAGE);
    before = await containersOf();
  });

  afterAll(async () => {
    if (team) await removeTeamObjects(team.teamId);
    await t?.close();
  });

  it(`POST /containers: ${RUNS.containers} payloads`, async () => {
    const payload = fc.oneof({ arbitrary: corrupted(runBase, runFields), weight: 4 }, { arbitrary: junk(['image', fc.oneof(badImage, notAString)]), weight: 1 });
    await fc.assert(
      fc.asyncProperty(payload, fc.boolean(), async (p, wait) => expect4xx('POST /containers', p, await send('post', `/containers${wait ? '?wait=true' : ''}`, team.token, p))),
      { ...SEED, numRuns: RUNS.containers },
    );
  });

  it(`PUT /deployments/:name: ${RUNS.putDeployment} payloads (JSON and YAML, bad names too)`, async () => {
    const yamlJunk = fc.string({ maxLength: 200 }).map((s) => ({ kind: 'raw' as const, text: `image: [${s}\u0001`, type: 'application/yaml' }));
    const payload = fc.oneof({ arbitrary: corrupted(specBase, specFields), weight: 4 }, { arbitrary: junk(['image', fc.oneof(badImage, notAString)]), weight: 1 }, { arbitrary: yamlJunk, weight: 1 });
    const name = fc.oneof({ arbitrary: fc.constantFrom('web', 'api'), weight: 3 }, { arbitrary: badName, weight: 1 });
    await fc.assert(
      fc.asyncProperty(payload, name, fc.boolean(), async (p, n, dryRun) => expect4xx(`PUT /deployments/${n}`, p, await send('put', `/deployments/${n}${dryRun ? '?dryRun=true' : ''}`, team.token, p))),
      { ...SEED, numRuns: RUNS.putDeployment },
    );
  });

  it(`POST /deployments: ${RUNS.postDeployment} payloads`, async () => {
    const withName = fc.tuple(corrupted(specBase, specFields), fc.oneof(fc.constant('web'), badName)).map(([p, name]) => ({ ...p, body: { name, ...(p.body as object) } }));
    const badNameOnly = badName.map((name) => ({ kind: 'json' as const, body: { ...specBase(), name } }));
    const payload = fc.oneof({ arbitrary: withName, weight: 3 }, { arbitrary: badNameOnly, weight: 1 }, { arbitrary: junk(['image', fc.oneof(badImage, notAString)]), weight: 1 });
    await fc.assert(fc.asyncProperty(payload, async (p) => expect4xx('POST /deployments', p, await send('post', '/deployments', team.token, p))), { ...SEED, numRuns: RUNS.postDeployment });
  });

  it(`POST /registries: ${RUNS.registries} payloads`, async () => {
    const payload = fc.oneof({ arbitrary: corrupted(registryBase, registryFields), weight: 4 }, { arbitrary: junk(['serverAddress', fc.oneof(fc.constantFrom('', 'a b', 'http://x'), notAString)]), weight: 1 });
    await fc.assert(fc.asyncProperty(payload, async (p) => expect4xx('POST /registries', p, await send('post', '/registries', team.token, p))), { ...SEED, numRuns: RUNS.registries });
  });

  it(`PUT /teams/:id/policy: ${RUNS.policy} payloads (owner token; bad and unknown team ids too)`, async () => {
    const payload = fc.oneof({ arbitrary: corrupted(policyBase, policyFields), weight: 4 }, { arbitrary: junk(['hostPorts', notAnObject]), weight: 1 });
    const id = fc.oneof({ arbitrary: fc.constant(team.teamId), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 }, { arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map(encodeURIComponent), weight: 1 });
    await fc.assert(fc.asyncProperty(payload, id, async (p, teamId) => expect4xx(`PUT /teams/${teamId}/policy`, p, await send('put', `/teams/${teamId}/policy`, t.token, p))), { ...SEED, numRuns: RUNS.policy });
    // The fuzzed team's policy is still the default one: nothing got through.
    expect((await t.http.get(`/teams/${team.teamId}/policy`).set(auth(t.token))).body.policy.bindMounts).toEqual([]);
  });

  it('after all of them: the engine has no new container of the team, no deployment and no registry exists', async () => {
    expect(seen.total).toBe(Object.values(RUNS).reduce((a, b) => a + b, 0));
    expect(await containersOf()).toEqual(before);
    expect((await t.http.get('/deployments').set(auth(team.token))).body.total).toBe(0);
    expect((await t.http.get('/registries').set(auth(team.token))).body).toEqual([]);
    // Some of each kind of refusal was seen (validation, policy, not found…), not one status for everything.
    expect([...seen.byStatus.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    expect(seen.byStatus.get(400)).toBeGreaterThan(0);
    expect(seen.byStatus.get(403)).toBeGreaterThan(0);
  });
});
