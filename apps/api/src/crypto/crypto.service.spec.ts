import { AppConfig } from '../config/app-config';
import { CryptoService } from './crypto.service';

const make = (byte: number) => new CryptoService(Object.assign(new AppConfig(), { secretKey: Buffer.alloc(32, byte) }));

describe('CryptoService', () => {
  it('generates brt_ tokens with 40 base62 characters, all different', () => {
    const c = make(1);
    const tokens = new Set(Array.from({ length: 200 }, () => c.generateToken()));
    expect(tokens.size).toBe(200);
    for (const t of tokens) expect(t).toMatch(/^brt_[0-9A-Za-z]{40}$/);
  });

  it('hashes tokens with a keyed HMAC: stable under one key, different under another', () => {
    expect(make(1).hashToken('brt_x')).toBe(make(1).hashToken('brt_x'));
    expect(make(1).hashToken('brt_x')).not.toBe(make(2).hashToken('brt_x'));
    expect(make(1).hashToken('brt_x')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('encrypts with AES-256-GCM: round-trips, never repeats, rejects tampering and the wrong key', () => {
    const c = make(3);
    const a = c.encrypt('s3cret-password');
    expect(a).not.toContain('s3cret');
    expect(c.encrypt('s3cret-password')).not.toBe(a);
    expect(c.decrypt(a)).toBe('s3cret-password');
    const parts = a.split(':');
    parts[3] = Buffer.from('tampered').toString('base64');
    expect(() => c.decrypt(parts.join(':'))).toThrow();
    expect(() => make(4).decrypt(a)).toThrow();
  });
});
