/**
 * `fluxos-preprod serve` as a process: it boots a node, answers GET
 * /flux/info with FluxOS's envelope (docs/design.md §6), stays up against hostile
 * and slow clients, and stops cleanly on SIGTERM and SIGINT.
 */
import { expect } from 'chai';
import * as net from 'node:net';
import * as os from 'node:os';
import {
  CLI_PATH,
  describeRun,
  httpRequest,
  probePort,
  rawExchange,
  STACK_LINE,
  startCli,
  startProcess,
  writeSettingsFile,
  type RunningCli,
} from '../support/cli';
import { createGitBed, type GitBed } from '../support/gitBed';

interface Served {
  name: string;
  dir: string;
  process: RunningCli;
  url: string;
  port: number;
}

const PRE_PROD_KEYS = [
  'mode',
  'reason',
  'branch',
  'commit',
  'probability',
  'draw',
  'rolledAt',
  'nextRollAt',
  'optedOut',
  'bootedAt',
];

/** Every string anywhere inside a JSON value. */
function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((item) => stringsIn(item, out));
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      stringsIn(item, out);
    }
  }
  return out;
}

function expectErrorEnvelope(body: string, code: number): void {
  const parsed = JSON.parse(body) as { status: string; data: { code: number; name: string; message: string } };
  expect(parsed.status).to.equal('error');
  expect(parsed.data).to.have.all.keys('code', 'name', 'message');
  expect(parsed.data.code).to.equal(code);
  expect(parsed.data.message).to.be.a('string').and.not.match(STACK_LINE);
}

describe('serve: /flux/info from a real process', function () {
  this.timeout(60_000);
  let bed: GitBed;
  let selectAll: string;
  let selectNone: string;
  const served: Served[] = [];

  async function serveNode(name: string, settings: string): Promise<Served> {
    const dir = await bed.cloneNode(name);
    const child = startCli([
      'serve',
      '--repo',
      dir,
      '--store',
      `file:${dir}.state.json`,
      '--config',
      settings,
      '--port',
      '0',
    ]);
    const match = await child.waitFor(/^serving (http:\/\/127\.0\.0\.1:(\d+)\/flux\/info)$/m);
    return { name, dir, process: child, url: match[1], port: Number(match[2]) };
  }

  before(async () => {
    bed = await createGitBed();
    selectAll = await writeSettingsFile(bed.dir, 'select-all.json', { remote: bed.upstream, probability: 1 });
    selectNone = await writeSettingsFile(bed.dir, 'select-none.json', { remote: bed.upstream, probability: 0 });
    served.push(await serveNode('preprod-node', selectAll), await serveNode('production-node', selectNone));
  });
  after(async () => {
    for (const node of served) node.process.signal('SIGKILL');
    await Promise.all(served.map((node) => node.process.exited.catch(() => undefined)));
    await bed?.cleanup();
  });

  describe('GET /flux/info', () => {
    const cases = [
      {
        name: 'preprod-node',
        preProdNode: true,
        mode: 'preprod',
        reason: 'selected',
        branch: 'preprod',
        version: '1.1.0',
        probability: 1,
      },
      {
        name: 'production-node',
        preProdNode: false,
        mode: 'production',
        reason: 'not-selected',
        branch: 'master',
        version: '1.0.0',
        probability: 0,
      },
    ];
    for (const c of cases) {
      it(`${c.name}: the FluxOS envelope, preProdNode matching the checkout's branch`, async () => {
        const node = served.find((s) => s.name === c.name) as Served;
        const reply = await httpRequest(node.url);
        expect(reply.status).to.equal(200);
        expect(reply.headers['content-type']).to.match(/^application\/json/);
        const body = JSON.parse(reply.body) as { status: string; data: { flux: Record<string, any> } };
        expect(body.status).to.equal('success');
        expect(body.data).to.have.all.keys('flux');
        expect(body.data.flux).to.have.all.keys('version', 'preProdNode', 'preProd');
        const branch = await bed.git(node.dir, 'rev-parse', '--abbrev-ref', 'HEAD');
        expect(branch).to.equal(c.branch);
        expect(body.data.flux.preProdNode).to.equal(branch === 'preprod');
        expect(body.data.flux.preProdNode).to.equal(c.preProdNode);
        expect(body.data.flux.version).to.equal(c.version);
        const preProd = body.data.flux.preProd;
        expect(preProd).to.have.all.keys(...PRE_PROD_KEYS);
        expect(preProd).to.include({
          mode: c.mode,
          reason: c.reason,
          branch: c.branch,
          probability: c.probability,
          optedOut: false,
        });
        expect(preProd.commit).to.equal(await bed.git(node.dir, 'rev-parse', 'HEAD'));
        expect(preProd.draw).to.be.a('number').within(0, 1);
        expect(Date.parse(preProd.nextRollAt) - Date.parse(preProd.rolledAt)).to.equal(30 * 86_400_000);
      });

      it(`${c.name}: no file-system path anywhere in the body`, async () => {
        const node = served.find((s) => s.name === c.name) as Served;
        const reply = await httpRequest(node.url);
        for (const text of [bed.dir, node.dir, os.tmpdir(), os.homedir(), '.state.json', 'userconfig']) {
          expect(reply.body).not.to.include(text);
        }
        for (const text of stringsIn(JSON.parse(reply.body))) {
          expect(text, 'no string looks like an absolute path').not.to.match(/^(\/|[A-Za-z]:\\)/);
        }
      });
    }

    it('HEAD answers 200 without a body; a query string is ignored', async () => {
      const node = served[0];
      const head = await httpRequest(node.url, { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(head.body).to.equal('');
      const withQuery = await httpRequest(`${node.url}?x=1`);
      expect(withQuery.status).to.equal(200);
      expect(JSON.parse(withQuery.body).status).to.equal('success');
    });
  });

  describe('other paths and methods', () => {
    for (const pathname of [
      '/',
      '/flux',
      '/flux/version',
      '/flux/info2',
      '/flux/info/x',
      '/FLUX/INFO',
      '/flux/info/..',
      '/%2e%2e/etc/passwd',
    ]) {
      it(`GET ${pathname} → 404 with the error envelope`, async () => {
        const reply = await httpRequest(`http://127.0.0.1:${served[0].port}${pathname}`);
        expect(reply.status).to.equal(404);
        expectErrorEnvelope(reply.body, 404);
      });
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      it(`${method} /flux/info → 405 with the error envelope`, async () => {
        const reply = await httpRequest(served[0].url, {
          method,
          body: method === 'DELETE' ? undefined : '{"preProdNode":false}',
          headers: { 'content-type': 'application/json' },
        });
        expect(reply.status).to.equal(405);
        expect(reply.headers.allow).to.match(/GET/);
        expectErrorEnvelope(reply.body, 405);
      });
    }
  });

  describe('hostile requests', () => {
    const cases: { name: string; payload: () => string }[] = [
      { name: 'a 20 KB URL', payload: () => `GET /flux/info?${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n` },
      {
        name: 'a 20 KB header',
        payload: () => `GET /flux/info HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`,
      },
      {
        name: '3000 small headers',
        payload: () => {
          const headers = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('');
          return `GET /flux/info HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;
        },
      },
      { name: 'bytes that are not HTTP', payload: () => '\u0000\u0001\u0002 garbage \r\n\r\n' },
      { name: 'a bad request line', payload: () => 'GET\r\n\r\n' },
    ];
    for (const c of cases) {
      it(`${c.name} gets a 4xx, never a stack trace, and the server keeps answering`, async () => {
        const node = served[0];
        const { reply } = await rawExchange(node.port, c.payload());
        const status = /^HTTP\/1\.1 (\d{3})/.exec(reply);
        expect(status, `a status line, got ${JSON.stringify(reply.slice(0, 200))}`).to.not.equal(null);
        expect(Number((status as RegExpExecArray)[1])).to.be.within(400, 499);
        expect(reply).not.to.match(STACK_LINE);
        expect(reply).not.to.include(bed.dir);
        const after = await httpRequest(node.url);
        expect(after.status).to.equal(200);
      });
    }

    it('slow clients (half a request line, then silence) do not block others and are dropped', async function () {
      const node = served[1];
      const started = Date.now();
      const slow = Array.from({ length: 20 }, () => {
        const socket = net.connect(node.port, '127.0.0.1', () => socket.write('GET /flux/in'));
        socket.on('error', () => undefined);
        // Flowing, so the server's answer and its FIN are read and 'close' can fire.
        socket.resume();
        return {
          socket,
          closed: new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started))),
        };
      });
      try {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const reply = await httpRequest(node.url, { timeoutMs: 2000 });
        expect(reply.status).to.equal(200);
        // headersTimeout is 5 s, checked every second; a server that only checks every 30 s keeps
        // them for up to 35 s. The limit only catches a server that never drops them.
        const limitMs = 30_000;
        const closedAfter = await Promise.race([
          Promise.all(slow.map((s) => s.closed)),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), limitMs)),
        ]);
        expect(closedAfter, `the slow sockets are still open after ${limitMs} ms`).to.not.equal(null);
        console.log(`      slow clients dropped after ${Math.max(...(closedAfter as number[]))} ms`);
      } finally {
        for (const s of slow) s.socket.destroy();
      }
    });
  });

  describe('a flood of idle connections', () => {
    /** Opens `count` sockets that connect and then say nothing; resolves once all are connected or closed. */
    async function openIdle(port: number, count: number, into: net.Socket[]): Promise<void> {
      await Promise.all(
        Array.from(
          { length: count },
          () =>
            new Promise<void>((resolve) => {
              const socket = net.connect(port, '127.0.0.1');
              into.push(socket);
              socket.on('error', () => resolve());
              socket.once('connect', () => resolve());
              socket.once('close', () => resolve());
            }),
        ),
      );
    }

    it('3,000 idle sockets against a server with 1,024 file descriptors: every real request is answered', async () => {
      const dir = await bed.cloneNode('flood-node');
      // A low open-file limit, as on many hosts, so the flood exceeds it.
      const child = startProcess(
        'sh',
        [
          '-c',
          'ulimit -n 1024 && exec "$0" "$@"',
          process.execPath,
          CLI_PATH,
          'serve',
          '--repo',
          dir,
          '--store',
          `file:${dir}.state.json`,
          '--config',
          selectNone,
          '--port',
          '0',
        ],
        { timeoutMs: 110_000 },
      );
      const match = await child.waitFor(/^serving (http:\/\/127\.0\.0\.1:(\d+)\/flux\/info)$/m);
      const [url, port] = [match[1], Number(match[2])];
      const flood: net.Socket[] = [];
      const statuses: number[] = [];
      try {
        for (let batch = 0; batch < 12; batch++) {
          await openIdle(port, 250, flood);
          statuses.push((await httpRequest(url, { timeoutMs: 20_000 })).status);
        }
        for (let i = 0; i < 20; i++) statuses.push((await httpRequest(url, { timeoutMs: 20_000 })).status);
        const stillOpen = flood.filter((socket) => !socket.destroyed).length;
        console.log(`      ${flood.length} idle sockets opened, ${stillOpen} still open at the end`);
      } finally {
        for (const socket of flood) socket.destroy();
        child.signal('SIGKILL');
        await child.exited.catch(() => undefined);
      }
      expect(statuses).to.deep.equal(Array.from({ length: 32 }, () => 200));
      expect(child.stderr()).not.to.match(STACK_LINE);
    });
  });

  describe('stopping', () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`${signal} closes it cleanly: exit 0, and nothing listens on its port afterwards`, async () => {
        const node = await serveNode(`stop-${signal}`, selectNone);
        // An open keep-alive connection must not hold the shutdown up.
        const idle = net.connect(node.port, '127.0.0.1');
        idle.on('error', () => undefined);
        await new Promise((resolve) => idle.once('connect', resolve));
        expect((await httpRequest(node.url)).status).to.equal(200);
        node.process.signal(signal);
        const run = await node.process.exited;
        idle.destroy();
        expect(run.timedOut).to.equal(false);
        expect(run.signal, describeRun(run)).to.equal(null);
        expect(run.code, describeRun(run)).to.equal(0);
        expect(run.stderr).not.to.match(STACK_LINE);
        expect(await probePort(node.port)).to.equal('ECONNREFUSED');
      });
    }
  });
});
