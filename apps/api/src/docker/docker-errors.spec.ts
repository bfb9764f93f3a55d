import { mapDockerError } from './docker-errors';

describe('mapDockerError', () => {
  const engine = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), { statusCode, json: { message } });

  it.each([
    [404, 'NOT_FOUND', 404],
    [409, 'CONFLICT', 409],
    [400, 'BAD_REQUEST', 400],
    [500, 'ENGINE_ERROR', 502],
  ])('maps engine %i to %s (%i) and keeps the engine message', (code, domain, status) => {
    const err = mapDockerError(engine(code, 'No such container: abc'));
    expect(err.code).toBe(domain);
    expect(err.status).toBe(status);
    expect(err.message).toContain('No such container: abc');
  });

  it('maps a dead socket to 503 ENGINE_UNAVAILABLE', () => {
    const err = mapDockerError(Object.assign(new Error('connect ENOENT /nope.sock'), { code: 'ENOENT' }));
    expect(err).toMatchObject({ code: 'ENGINE_UNAVAILABLE', status: 503, message: 'Docker Engine unreachable: connect ENOENT /nope.sock' });
  });
});
