import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const TOKEN_PREFIX = 'brt_';

/**
 * Secrets in one place: API token generation and hashing, and AES-256-GCM for secrets at rest.
 * Both keys are derived (HKDF) from BERTH_SECRET_KEY, so one key rotates both.
 */
@Injectable()
export class CryptoService {
  private readonly tokenKey: Buffer;
  private readonly encryptionKey: Buffer;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.tokenKey = Buffer.from(hkdfSync('sha256', config.secretKey, 'berth', 'api-token-hmac', 32));
    this.encryptionKey = Buffer.from(hkdfSync('sha256', config.secretKey, 'berth', 'secrets-at-rest', 32));
  }

  /** `brt_` + 40 base62 characters (≈238 bits of entropy). */
  generateToken(): string {
    const bytes = randomBytes(40);
    let out = TOKEN_PREFIX;
    for (const b of bytes) out += BASE62[b % 62];
    return out;
  }

  /**
   * HMAC-SHA256 under a server key. Tokens are long random secrets, so a slow KDF adds latency
   * to every request without adding strength; the HMAC key means a stolen database alone does
   * not let anyone test guesses offline. The digest is indexed, so lookup is one query.
   */
  hashToken(token: string): string {
    return createHmac('sha256', this.tokenKey).update(token).digest('hex');
  }

  safeEqual(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  decrypt(ciphertext: string): string {
    const [version, iv, tag, data] = ciphertext.split(':');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('Unrecognised ciphertext format');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
