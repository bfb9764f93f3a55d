import { StreamError } from './stream-errors';
import { eventOptions, logOptions, parseTopic } from './topics';

describe('topics', () => {
  it('parses every topic form', () => {
    const id = '0b6e2a52-6f35-4f6a-9d0e-1c2b3a4d5e6f';
    expect(parseTopic('events')).toEqual({ kind: 'events' });
    expect(parseTopic('deployments/web')).toEqual({ kind: 'deployment', name: 'web' });
    expect(parseTopic('deployments/web/logs')).toEqual({ kind: 'deploymentLogs', name: 'web' });
    expect(parseTopic(`operations/${id.toUpperCase()}`)).toEqual({ kind: 'operation', id });
    expect(parseTopic(`images/pull/${id}`)).toEqual({ kind: 'operation', id, operationKind: 'pull' });
    expect(parseTopic(`images/build/${id}`)).toEqual({ kind: 'operation', id, operationKind: 'build' });
    expect(parseTopic(`images/push/${id}`)).toEqual({ kind: 'operation', id, operationKind: 'push' });
    expect(parseTopic('containers/abc123/logs')).toEqual({ kind: 'containerLogs', container: 'abc123' });
  });

  it.each(['', 'event', 'operations/123', 'containers/abc', 'deployments/', 'deployments/../x', 'images/tag/0b6e2a52-6f35-4f6a-9d0e-1c2b3a4d5e6f'])('refuses %j', (topic) => {
    expect(() => parseTopic(topic)).toThrow(StreamError);
  });

  it('checks event options per topic', () => {
    expect(eventOptions({ kind: 'events' }, { type: 'subscribe', topic: 'events', since: 3, kinds: ['operation.*'], deployment: 'web' })).toEqual({ since: 3, kinds: ['operation.*'], deployment: 'web' });
    expect(() => eventOptions({ kind: 'deployment', name: 'web' }, { type: 'subscribe', topic: 'deployments/web', kinds: ['x'] })).toThrow('kinds applies to the events topic only');
    expect(() => eventOptions({ kind: 'events' }, { type: 'subscribe', topic: 'events', since: '2024-01-01T00:00:00Z' })).toThrow(/since must be a sequence number/);
    expect(() => eventOptions({ kind: 'events' }, { type: 'subscribe', topic: 'events', kinds: ['Not A Kind'] })).toThrow(/kinds entries/);
    expect(() => eventOptions({ kind: 'events' }, { type: 'subscribe', topic: 'events', timestamps: true })).toThrow('timestamps applies to log topics only');
  });

  it('applies log defaults: tail 100, all of it (capped) after a since, both streams', () => {
    const base = { type: 'subscribe' as const, topic: 'containers/x/logs' };
    expect(logOptions(base)).toEqual({ tail: 100, since: undefined, timestamps: false, stream: 'all' });
    expect(logOptions({ ...base, since: 1700000000.5 })).toMatchObject({ tail: 10_000, since: 1700000000.5 });
    expect(logOptions({ ...base, since: '2024-01-01T00:00:01Z' })).toMatchObject({ since: 1704067201 });
    expect(logOptions({ ...base, tail: 'all' }).tail).toBe(10_000);
    expect(logOptions({ ...base, tail: 50_000 }).tail).toBe(10_000);
    expect(() => logOptions({ ...base, since: 'yesterday' })).toThrow(/since must be Unix seconds or an RFC 3339 date/);
    expect(() => logOptions({ ...base, kinds: ['x'] })).toThrow('kinds applies to the events topic only');
  });
});
