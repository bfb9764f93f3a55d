import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CryptoService } from '../crypto/crypto.service';
import { NormalizedSpec, revisionIdentity, diffSpecs, SpecChange } from './deployment-spec';

/** Specs to and from their stored form: secret env values encrypted, identity hashed with a keyed digest. */
@Injectable()
export class SpecCodec {
  constructor(@Inject(CryptoService) private readonly crypto: CryptoService) {}

  readonly digest = (value: string): string => this.crypto.hashToken(`secret-env:${value}`);

  encode(spec: NormalizedSpec): NormalizedSpec {
    return { ...spec, secretEnv: Object.fromEntries(Object.entries(spec.secretEnv).map(([k, v]) => [k, this.crypto.encrypt(v)])) };
  }

  decode(stored: unknown): NormalizedSpec {
    const spec = stored as NormalizedSpec;
    return { ...spec, secretEnv: Object.fromEntries(Object.entries(spec.secretEnv ?? {}).map(([k, v]) => [k, this.crypto.decrypt(v)])) };
  }

  hash(spec: NormalizedSpec): string {
    return createHash('sha256').update(revisionIdentity(spec, this.digest)).digest('hex');
  }

  diff(before: NormalizedSpec | null, after: NormalizedSpec): SpecChange[] {
    return diffSpecs(before, after, this.digest);
  }
}
