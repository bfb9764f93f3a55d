import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './wait';

const MAIN = join(__dirname, '../../dist/apps/api/main.js');

// Whatever a failing test leaves running is killed when the test process ends.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ApiProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * Runs the built API (`npm run build` output) as its own process, as a user would, and waits for
 * it to listen. Used where a test needs a real process: restarts, SIGTERM/SIGKILL, two at once.
 */
export async function spawnApi(env: Record<string, string | undefined>, options: { waitForListen?: boolean } = {}): Promise<ApiProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', DOCKER_HOST: process.env.DOCKER_HOST, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  let url = '';
  if (options.waitForListen !== false) {
    let ended = false;
    void exited.then(() => (ended = true));
    try {
      await waitFor(() => {
        if (ended) throw new Error(`API exited before listening:\n${out}`);
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) url = m[1];
        return Boolean(m);
      }, { timeoutMs: 60_000, what: 'the API to listen' });
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }
  return {
    child,
    url,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
