import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { AppConfig } from '../config/app-config';

/** Builds the dockerode client the way the Docker CLI reads DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH. */
export function createDockerClient(docker: AppConfig['docker']): Docker {
  const host = docker.host ?? 'unix:///var/run/docker.sock';
  const timeout = docker.timeoutMs;
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.replace(/^unix:\/\//, ''), timeout });
  if (host.startsWith('npipe://')) return new Docker({ socketPath: host.replace(/^npipe:\/\//, ''), timeout });
  const url = new URL(host.replace(/^tcp:\/\//, docker.tlsVerify ? 'https://' : 'http://'));
  const tls = url.protocol === 'https:';
  const certs = tls && docker.certPath
    ? { ca: readFileSync(join(docker.certPath, 'ca.pem')), cert: readFileSync(join(docker.certPath, 'cert.pem')), key: readFileSync(join(docker.certPath, 'key.pem')) }
    : {};
  return new Docker({ protocol: tls ? 'https' : 'http', host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)), timeout, ...certs });
}
