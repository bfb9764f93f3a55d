import { FrameDemuxer, LogParser } from './log-demux';

function frame(type: number, text: string): Buffer {
  return rawFrame(type, Buffer.from(text, 'utf8'));
}

function rawFrame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('FrameDemuxer', () => {
  it('splits stdout and stderr frames', () => {
    const frames = new FrameDemuxer().push(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]));
    expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
      ['stdout', 'out\n'],
      ['stderr', 'err\n'],
    ]);
  });

  it('reassembles headers and payloads cut at every possible byte', () => {
    const all = Buffer.concat([frame(1, 'hello\n'), frame(2, 'wörld\n'), frame(1, '')]);
    for (let cut = 1; cut < all.length; cut++) {
      const d = new FrameDemuxer();
      const frames = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
      expect(frames.map((f) => `${f.stream}:${f.payload.toString()}`)).toEqual(['stdout:hello\n', 'stderr:wörld\n', 'stdout:']);
      expect(d.buffered).toBe(0);
    }
  });

  it('rejects a stream that is not multiplexed', () => {
    expect(() => new FrameDemuxer().push(Buffer.from('plain text, not frames'))).toThrow(/bad frame header/);
  });
});

describe('LogParser', () => {
  it('keeps partial lines per stream until their newline arrives', () => {
    const p = new LogParser({ tty: false, timestamps: false });
    expect(p.push(Buffer.concat([frame(1, 'par'), frame(2, 'e1\n'), frame(1, 'tial\nnext')]))).toEqual([
      { stream: 'stderr', line: 'e1' },
      { stream: 'stdout', line: 'partial' },
    ]);
    expect(p.end()).toEqual([{ stream: 'stdout', line: 'next' }]);
  });

  it('decodes multi-byte characters split across frames', () => {
    const euro = Buffer.from('€\n');
    const p = new LogParser({ tty: false, timestamps: false });
    expect(p.push(Buffer.concat([rawFrame(1, euro.subarray(0, 1)), rawFrame(1, euro.subarray(1))]))).toEqual([{ stream: 'stdout', line: '€' }]);
  });

  it('splits off the engine timestamp', () => {
    const p = new LogParser({ tty: false, timestamps: true });
    expect(p.push(frame(2, '2026-11-27T13:00:00.123456789Z oops: a b\n'))).toEqual([{ stream: 'stderr', timestamp: '2026-11-27T13:00:00.123456789Z', line: 'oops: a b' }]);
  });

  it('reads a TTY stream raw, as stdout, without carriage returns', () => {
    const p = new LogParser({ tty: true, timestamps: false });
    expect(p.push(Buffer.from('one\r\ntwo\r\n'))).toEqual([
      { stream: 'stdout', line: 'one' },
      { stream: 'stdout', line: 'two' },
    ]);
  });
});
