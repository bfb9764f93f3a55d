import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTar } from './tar-writer';

describe('createTar', () => {
  it('writes an archive GNU tar lists and extracts byte for byte, long paths included', () => {
    const long = `${'d'.repeat(80)}/${'e'.repeat(60)}/file.txt`;
    const tar = createTar([
      { path: 'Dockerfile', content: 'FROM scratch\n' },
      { path: 'src/app.sh', content: '#!/bin/sh\necho héllo\n', mode: 0o755 },
      { path: long, content: Buffer.alloc(1025, 7) },
      { path: 'empty', content: '' },
    ]);
    expect(tar.length % 512).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'berth-tar-'));
    try {
      writeFileSync(join(dir, 'c.tar'), tar);
      const list = spawnSync('tar', ['-tvf', 'c.tar'], { cwd: dir, encoding: 'utf8' });
      expect(list.status).toBe(0);
      expect(list.stdout).toContain('-rwxr-xr-x');
      const x = spawnSync('tar', ['-xf', 'c.tar'], { cwd: dir, encoding: 'utf8' });
      expect(x.stderr).toBe('');
      expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
      expect(readFileSync(join(dir, 'src/app.sh'), 'utf8')).toBe('#!/bin/sh\necho héllo\n');
      expect(readFileSync(join(dir, long))).toEqual(Buffer.alloc(1025, 7));
      expect(readFileSync(join(dir, 'empty'), 'utf8')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a path that cannot fit a ustar header', () => {
    expect(() => createTar([{ path: 'x'.repeat(300), content: '' }])).toThrow(/path too long/);
  });
});
