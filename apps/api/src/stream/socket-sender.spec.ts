import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { SocketSender } from './socket-sender';

/** A socket whose "kernel" accepts nothing until flush(): every send stays buffered. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  closedWith?: number;
  private pending: Array<{ size: number; cb: () => void }> = [];
  send(data: Buffer, _opts: unknown, cb: () => void) {
    this.bufferedAmount += data.length;
    this.pending.push({ size: data.length, cb });
  }
  flush() {
    for (const p of this.pending.splice(0)) {
      this.bufferedAmount -= p.size;
      p.cb();
    }
  }
  close(code: number) {
    this.closedWith = code;
  }
}

describe('SocketSender', () => {
  const make = (limit = 100) => {
    const ws = new FakeSocket();
    return { ws, sender: new SocketSender(ws as unknown as WebSocket, limit) };
  };

  it('offers data only while it fits, always lets one message through an empty buffer, and drains', () => {
    const { ws, sender } = make();
    expect(sender.offer(Buffer.alloc(150))).toBe(true); // larger than the limit, but the buffer was empty
    expect(sender.offer(Buffer.alloc(10))).toBe(false);
    const drained = jest.fn();
    sender.on('drain', drained);
    ws.flush();
    expect(drained).toHaveBeenCalledTimes(1);
    expect(sender.offer(Buffer.alloc(60))).toBe(true);
    expect(sender.offer(Buffer.alloc(40))).toBe(true);
    expect(sender.offer(Buffer.alloc(1))).toBe(false);
    expect(ws.bufferedAmount).toBe(100);
  });

  it('queues control messages past the limit, up to twice it, then closes with 4413', () => {
    const { ws, sender } = make();
    expect(sender.send(Buffer.alloc(90))).toBe(true);
    expect(sender.send(Buffer.alloc(50))).toBe(false); // queued, but over the limit: pause your producer
    expect(ws.bufferedAmount).toBe(140);
    expect(sender.send(Buffer.alloc(100))).toBe(false);
    expect(ws.closedWith).toBe(4413);
    expect(sender.open).toBe(false);
    expect(ws.bufferedAmount).toBe(140);
  });

  it('waits for room', async () => {
    const { ws, sender } = make();
    sender.offer(Buffer.alloc(120));
    let done = false;
    const waiting = sender.waitForRoom().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    ws.flush();
    await waiting;
    expect(done).toBe(true);
  });
});
