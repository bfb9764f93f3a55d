import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { waitFor } from './wait';

export const REGISTRY_BINARY = process.env.DOCKER_REGISTRY_BIN ?? '/usr/bin/docker-registry';

export interface TestRegistry {
  /** host:port, e.g. "127.0.0.1:41234"; the engine treats 127.0.0.0/8 registries as plain HTTP. */
  address: string;
  /** Set when the registry was started with htpasswd basic auth. */
  credentials?: { username: string; password: string };
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts Debian's docker-registry (distribution) on 127.0.0.1 and a free port, with its own
 * config and storage in a temp folder; with `auth`, htpasswd basic auth (bcrypt) is required.
 * `stop()` kills it and removes the folder.
 */
export async function startRegistry(options: { auth?: { username: string; password: string } } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${address}`,
  ];
  if (options.auth) {
    writeFileSync(join(dir, 'htpasswd'), `${options.auth.username}:${hashSync(options.auth.password, 10)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: berth-test-registry', `    path: ${join(dir, 'htpasswd')}`);
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, lines.join('\n') + '\n');

  const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`docker-registry exited: ${out}`);
        const res = await fetch(`http://${address}/v2/`);
        return res.status === 200 || res.status === 401;
      },
      { timeoutMs: 20_000, what: `docker-registry on ${address}` },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, credentials: options.auth, output: () => out, stop };
}
