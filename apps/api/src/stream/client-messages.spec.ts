import { parseClientMessage } from './client-messages';
import { StreamError } from './stream-errors';

const fails = (raw: unknown, code: string, message?: RegExp) => {
  let err: unknown;
  try {
    parseClientMessage(typeof raw === 'string' ? raw : JSON.stringify(raw));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StreamError);
  expect((err as StreamError).code).toBe(code);
  if (message) expect((err as StreamError).message).toMatch(message);
};

describe('parseClientMessage', () => {
  it('parses every client message type', () => {
    expect(parseClientMessage('{"type":"ping","ref":7}')).toEqual({ type: 'ping', ref: 7 });
    expect(parseClientMessage('{"type":"auth","token":"brt_x"}')).toEqual({ type: 'auth', token: 'brt_x' });
    expect(parseClientMessage(JSON.stringify({ type: 'subscribe', topic: 'events', since: 4, kinds: ['operation.*'], ref: 'a' }))).toEqual({
      type: 'subscribe',
      topic: 'events',
      since: 4,
      kinds: ['operation.*'],
      ref: 'a',
    });
    expect(parseClientMessage(JSON.stringify({ type: 'subscribe', topic: 'containers/x/logs', tail: 'all', timestamps: true, stream: 'stderr' }))).toMatchObject({ tail: 'all', stream: 'stderr' });
    expect(parseClientMessage('{"type":"unsubscribe","topic":"events"}')).toEqual({ type: 'unsubscribe', topic: 'events' });
    expect(parseClientMessage(JSON.stringify({ type: 'exec.start', session: 's1', container: 'c', cmd: ['sh'], tty: false, cols: 80, rows: 24, env: ['A=1'] }))).toMatchObject({ session: 's1', tty: false, env: ['A=1'] });
    expect(parseClientMessage('{"type":"exec.stdin","session":"s1","eof":true}')).toEqual({ type: 'exec.stdin', session: 's1', eof: true });
    expect(parseClientMessage('{"type":"exec.resize","session":"s1","cols":100,"rows":30}')).toEqual({ type: 'exec.resize', session: 's1', cols: 100, rows: 30 });
    expect(parseClientMessage('{"type":"exec.close","session":"s1"}')).toEqual({ type: 'exec.close', session: 's1' });
  });

  it('refuses what is not a message', () => {
    fails('nope', 'BAD_MESSAGE');
    fails('[1]', 'BAD_MESSAGE');
    fails({ topic: 'events' }, 'BAD_MESSAGE');
    fails({ type: 'shout' }, 'UNKNOWN_TYPE', /expected one of auth, subscribe/);
  });

  it('names the field that is wrong', () => {
    fails({ type: 'subscribe' }, 'VALIDATION_FAILED', /^topic is required$/);
    fails({ type: 'subscribe', topic: 'events', extra: 1 }, 'VALIDATION_FAILED', /^extra is not a field of subscribe$/);
    fails({ type: 'subscribe', topic: 'events', tail: -1 }, 'VALIDATION_FAILED', /^tail /);
    fails({ type: 'subscribe', topic: 'events', stream: 'both' }, 'VALIDATION_FAILED', /^stream /);
    fails({ type: 'ping', ref: { a: 1 } }, 'VALIDATION_FAILED', /^ref /);
    fails({ type: 'exec.start', session: 'has space', container: 'c' }, 'VALIDATION_FAILED', /^session /);
    fails({ type: 'exec.start', session: 's', container: 'c', cmd: [] }, 'VALIDATION_FAILED', /^cmd must not be empty$/);
    fails({ type: 'exec.start', session: 's', container: 'c', env: ['nokey'] }, 'VALIDATION_FAILED', /^env /);
    fails({ type: 'exec.stdin', session: 's' }, 'VALIDATION_FAILED', /^data is required unless eof is true$/);
    fails({ type: 'exec.resize', session: 's', cols: 0, rows: 10 }, 'VALIDATION_FAILED', /^cols /);
  });
});
