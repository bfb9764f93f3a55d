import { DomainError } from '../common/domain-error';
import { isImageId, parseImageReference, referenceFilter, repositoryOf, sameRegistry } from './image-reference';

describe('parseImageReference', () => {
  it.each([
    ['busybox', { registry: 'docker.io', path: 'library/busybox', tag: 'latest', repository: 'busybox', familiar: 'busybox:latest', canonical: 'docker.io/library/busybox:latest' }],
    ['busybox:1.36', { registry: 'docker.io', path: 'library/busybox', tag: '1.36', familiar: 'busybox:1.36' }],
    ['team/app', { registry: 'docker.io', path: 'team/app', tag: 'latest', repository: 'team/app', familiar: 'team/app:latest' }],
    ['docker.io/library/busybox:1', { registry: 'docker.io', path: 'library/busybox', repository: 'busybox', familiar: 'busybox:1' }],
    ['index.docker.io/team/app', { registry: 'docker.io', repository: 'team/app' }],
    ['127.0.0.1:5000/team/app:1.2', { registry: '127.0.0.1:5000', path: 'team/app', tag: '1.2', repository: '127.0.0.1:5000/team/app', familiar: '127.0.0.1:5000/team/app:1.2' }],
    ['localhost/app', { registry: 'localhost', path: 'app', tag: 'latest', repository: 'localhost/app' }],
    ['localhost:5000/a/b/c', { registry: 'localhost:5000', path: 'a/b/c', tag: 'latest' }],
    ['registry.example.com/app', { registry: 'registry.example.com', path: 'app' }],
    ['Registry/app', { registry: 'Registry', path: 'app' }],
    ['[::1]:5000/app:v1', { registry: '[::1]:5000', path: 'app', tag: 'v1' }],
    ['my_app-x__z/a--b.c:Tag_1.0-rc', { registry: 'docker.io', path: 'my_app-x__z/a--b.c', tag: 'Tag_1.0-rc' }],
    ['team/my_app.x.y:1', { registry: 'docker.io', path: 'team/my_app.x.y' }],
  ])('parses %s', (input, expected) => {
    expect(parseImageReference(input)).toMatchObject(expected);
  });

  it('keeps a digest and adds no default tag', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference(`127.0.0.1:5000/app@${digest}`)).toEqual({
      registry: '127.0.0.1:5000',
      path: 'app',
      tag: undefined,
      digest,
      repository: '127.0.0.1:5000/app',
      familiar: `127.0.0.1:5000/app@${digest}`,
      canonical: `127.0.0.1:5000/app@${digest}`,
    });
    expect(parseImageReference(`busybox:1@${digest}`)).toMatchObject({ tag: '1', digest, familiar: `busybox:1@${digest}` });
  });

  it('treats a first component without ".", ":" or "localhost" as part of the path', () => {
    expect(parseImageReference('registry/app')).toMatchObject({ registry: 'docker.io', path: 'registry/app' });
    expect(parseImageReference('127.0.0.1:5000')).toMatchObject({ registry: 'docker.io', path: 'library/127.0.0.1', tag: '5000' });
  });

  it.each([
    ['', 'required'],
    [' busybox', 'format'],
    ['busy box', 'format'],
    ['Busybox', 'format'],
    ['team/App', 'format'],
    ['busybox:', 'tag'],
    ['busybox:-x', 'tag'],
    [`busybox:${'a'.repeat(129)}`, 'tag'],
    ['busybox@sha256:abc', 'digest'],
    [`busybox@sha256:${'A'.repeat(64)}`, 'digest'],
    ['busybox@', 'digest'],
    [':latest', 'format'],
    ['team//app', 'format'],
    ['team/app/', 'format'],
    ['-app', 'format'],
    ['app-', 'format'],
    ['a..b', 'format'],
    ['bad_host.-x/app', 'registry'],
    ['my_app.x/app', 'registry'],
    ['registry.example.com:99999/app', 'registry'],
    [`${'a'.repeat(256)}`, 'maxLength'],
  ])('rejects %j with rule %s and a 400 naming the field', (input, rule) => {
    let error: unknown;
    try {
      parseImageReference(input, 'image');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, details: [{ field: 'image', rule }] });
  });

  it('names the field it was given', () => {
    expect(() => parseImageReference('UPPER', 'target')).toThrow(expect.objectContaining({ details: [expect.objectContaining({ field: 'target' })] }));
  });
});

describe('reference helpers', () => {
  it('recognises image ids', () => {
    expect(isImageId(`sha256:${'0'.repeat(64)}`)).toBe(true);
    expect(isImageId('0123456789ab')).toBe(true);
    expect(isImageId('0123456789a')).toBe(false);
    expect(isImageId('busybox')).toBe(false);
  });

  it('strips tag and digest to the repository', () => {
    expect(repositoryOf('127.0.0.1:5000/app:1')).toBe('127.0.0.1:5000/app');
    expect(repositoryOf(`busybox@sha256:${'a'.repeat(64)}`)).toBe('busybox');
    expect(repositoryOf('localhost:5000/app')).toBe('localhost:5000/app');
  });

  it('compares registries case-insensitively and folds Docker Hub aliases', () => {
    expect(sameRegistry('Registry.Example.com:5000', 'registry.example.com:5000')).toBe(true);
    expect(sameRegistry('index.docker.io', 'docker.io')).toBe(true);
    expect(sameRegistry('127.0.0.1:5000', '127.0.0.1:5001')).toBe(false);
  });
});

describe('referenceFilter (the engine reference filter, per image name)', () => {
  it.each([
    ['busybox', 'busybox:latest', true],
    ['busybox:latest', 'busybox:latest', true],
    ['busybox:1.*', 'busybox:1.36', true],
    ['busybox:1.*', 'busybox:latest', false],
    ['team-a/*', 'team-a/web:1', true],
    ['team-a/*', 'team-b/web:1', false],
    ['*', 'team-a/web:1', false],
    ['team-?/web', 'team-a/web:2', true],
    ['team-[ab]/web', 'team-b/web:2', true],
    ['team-[^ab]/web', 'team-b/web:2', false],
    ['127.0.0.1:5000/app', '127.0.0.1:5000/app:1', true],
    ['127.0.0.1:5000/app', '127.0.0.1:5000/app@sha256:' + 'a'.repeat(64), true],
    ['app\\*', 'app*:1', true],
    ['app[', 'app[:1', false],
  ])('%s on %s → %s', (pattern, name, expected) => {
    expect(referenceFilter(pattern)(name)).toBe(expected);
  });
});
