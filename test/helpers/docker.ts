import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';

/** The test suite's own view of the engine (tests may talk to Docker directly to check what Berth did). */
export const docker = new Docker({ socketPath: (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '') });

/** A tiny image built locally from the host's static busybox: no registry is needed. */
export const BUSYBOX_IMAGE = 'berth-test/busybox:1';

export async function followProgress(stream: NodeJS.ReadableStream): Promise<any[]> {
  return new Promise((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null, out: any[]) => (err ? reject(err) : resolve(out))));
}

export async function imageExists(ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Builds BUSYBOX_IMAGE (FROM scratch + static busybox) unless it already exists. */
export async function ensureBusyboxImage(tag = BUSYBOX_IMAGE, extraDockerfile = ''): Promise<string> {
  if (await imageExists(tag)) return tag;
  const busybox = process.env.BUSYBOX_PATH ?? '/bin/busybox';
  if (!existsSync(busybox)) throw new Error(`No static busybox at ${busybox}: install busybox-static (apt-get install busybox-static) or set BUSYBOX_PATH`);
  const dir = mkdtempSync(join(tmpdir(), 'berth-busybox-'));
  try {
    copyFileSync(busybox, join(dir, 'busybox'));
    writeFileSync(
      join(dir, 'Dockerfile'),
      ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]', 'LABEL io.berth.test=fixture', extraDockerfile].join('\n') + '\n',
    );
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile', 'busybox'] }, { t: tag, rm: true, forcerm: true });
    const out = await followProgress(stream);
    const failure = out.find((o) => o.error || o.errorDetail);
    if (failure) throw new Error(`Building ${tag} failed: ${failure.error ?? failure.errorDetail?.message}`);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes every container carrying the label (any value when value is omitted), even running ones. */
export async function removeContainersByLabel(label: string, value?: string): Promise<number> {
  const filter = value === undefined ? label : `${label}=${value}`;
  const list = await docker.listContainers({ all: true, filters: { label: [filter] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  return list.length;
}
