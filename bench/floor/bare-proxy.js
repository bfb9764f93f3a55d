// The floor for GET /containers in Node: a bare http server making the same dockerode call and the
// same mapping (toSummary from the built API) as Berth, with nothing else — no framework, auth,
// logging or metrics. bench:api measures it next to Berth (BENCH_FLOOR=0 skips it).
const http = require('node:http');
const Docker = require('dockerode');
const { toSummary } = require('../../dist/apps/api/containers/container-view');

const socketPath = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
const docker = new Docker({ socketPath });

http
  .createServer((req, res) => {
    if (req.url === '/health/ready') return res.end('ok');
    if (req.url !== '/containers') return res.writeHead(404).end();
    docker.listContainers({ all: false, filters: {} }).then(
      (list) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(list.map((c) => toSummary(c))));
      },
      (err) => res.writeHead(502).end(String(err)),
    );
  })
  .listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
