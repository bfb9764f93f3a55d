import { DomainError } from '../common/domain-error';
import { mapDockerError } from '../docker/docker-errors';
import { EngineStreamError, registryError } from './registry-errors';

const engine = (statusCode: number, message: string) => mapDockerError(Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message}`), { statusCode, json: { message } }));

describe('registryError', () => {
  it.each([
    [engine(500, 'unauthorized: authentication required'), 'REGISTRY_AUTH_FAILED', 401],
    [engine(500, 'Head "http://127.0.0.1:5000/v2/app/manifests/1": no basic auth credentials'), 'REGISTRY_AUTH_FAILED', 401],
    [new EngineStreamError('unauthorized: authentication required'), 'REGISTRY_AUTH_FAILED', 401],
    [new EngineStreamError('denied: requested access to the resource is denied'), 'REGISTRY_AUTH_FAILED', 401],
    [engine(404, 'manifest for 127.0.0.1:5000/app:1 not found: manifest unknown: manifest unknown'), 'NOT_FOUND', 404],
    [engine(404, "pull access denied for nope, repository does not exist or may require 'docker login'"), 'NOT_FOUND', 404],
    [engine(500, 'Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused'), 'ENGINE_ERROR', 502],
  ])('classifies %s', (error, code, status) => {
    const mapped = registryError(error, '127.0.0.1:5000', 'ci') as DomainError;
    expect(mapped).toMatchObject({ code, status });
    if (code !== 'NOT_FOUND') expect(mapped.message).toContain('Registry 127.0.0.1:5000 (registry "ci")');
  });

  it('keeps engine-level and non-engine errors as they are', () => {
    const unavailable = new DomainError('ENGINE_UNAVAILABLE', 'Docker Engine unreachable');
    expect(registryError(unavailable, 'r')).toBe(unavailable);
    const database = new Error('connection terminated');
    expect(registryError(database, 'r')).toBe(database);
  });
});
