// Loopback stand-ins for the programs a FluxOS node talks to at boot and in /flux/info: fluxd's JSON-RPC
// (16124), fluxbenchd's JSON-RPC (16224), syncthing's REST API (8384) and the docker engine API (a unix
// socket, for DOCKER_HOST). They answer what FluxOS v8.17.0 asks with the shapes it reads; anything else
// gets an empty success, so a FluxOS background loop that asks more does not crash the run.
'use strict';

const fs = require('node:fs');
const http = require('node:http');

const BLOCKS = 1_800_000;

const FLUXD = {
  getinfo: { version: 8000050, protocolversion: 170020, blocks: BLOCKS, connections: 8, difficulty: 1, testnet: false },
  getblockcount: BLOCKS,
  getblockchaininfo: { chain: 'main', blocks: BLOCKS, headers: BLOCKS, bestblockhash: '00'.repeat(32) },
  getbestblockhash: '00'.repeat(32),
  getfluxnodestatus: {
    status: 'CONFIRMED',
    collateral: 'COutPoint(00, 0)',
    txhash: '00'.repeat(32),
    outidx: '0',
    ip: '127.0.0.1:16127',
    network: 'ipv4',
    added_height: 1_700_000,
    confirmed_height: 1_700_001,
    last_confirmed_height: BLOCKS - 10,
    last_paid_height: BLOCKS - 100,
    tier: 'CUMULUS',
    payment_address: 't1StandIn',
    pubkey: '00',
    activesince: '1700000000',
    lastpaid: '1700000000',
    amount: '1000.00',
  },
  getzelnodestatus: null, // filled below: the old name of the same call
  getnetworkinfo: { version: 8000050, subversion: '/MagicBean:8.0.5/', connections: 8 },
  getpeerinfo: [],
  getmempoolinfo: { size: 0, bytes: 0 },
  getfluxnodecount: { total: 13000, stable: 13000, 'cumulus-enabled': 9000, 'nimbus-enabled': 2000, 'stratus-enabled': 2000 },
  listfluxnodes: [],
  viewdeterministicfluxnodelist: [],
  getblockhash: '00'.repeat(32),
  validateaddress: { isvalid: true },
  // The collateral transaction: 1000 FLUX at vout 0 is a cumulus node (generalService.nodeTier()).
  getrawtransaction: { txid: '00'.repeat(32), vout: [{ value: 1000, n: 0 }], confirmations: 100_000, height: 1_700_000 },
};
FLUXD.getzelnodestatus = FLUXD.getfluxnodestatus;

const FLUXBENCHD = {
  getinfo: { version: '5.0.0', rpcport: 16224 },
  getstatus: { status: 'online', benchmarking: 'CUMULUS', flux: 'connected' },
  getbenchmarks: {
    ipaddress: '127.0.0.1',
    real_cores: 4,
    cores: 8,
    ram: 16,
    ssd: 300,
    hdd: 0,
    ddwrite: 500,
    totalstorage: 300,
    disksinfo: [],
    eps: 400,
    ping: 10,
    download_speed: 500,
    upload_speed: 500,
    speed_version: '1.0',
    error: '',
    thunder: false,
    architecture: 'amd64',
    status: 'CUMULUS',
    time: Math.floor(Date.now() / 1000),
  },
  getpublicip: '127.0.0.1',
};

function readBody(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
  });
}

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** What fluxd answers while it is still loading (a real daemon's JSON-RPC error during startup). */
const LOADING = { code: -28, message: 'Loading block index...' };

/**
 * A JSON-RPC 1.0 server as fluxd and fluxbenchd speak it: a known method's result, else an empty object; a
 * method in `failing` gets the loading error, so a step can break one FluxOS component on purpose.
 */
function rpcServer(table, asked, failing = new Set()) {
  return http.createServer(async (req, res) => {
    let call;
    try {
      call = JSON.parse(await readBody(req));
    } catch {
      return sendJson(res, 400, { result: null, error: { code: -32700, message: 'Parse error' }, id: null });
    }
    const calls = Array.isArray(call) ? call : [call];
    const answers = calls.map((one) => {
      asked.push(one.method);
      if (failing.has(one.method)) return { result: null, error: LOADING, id: one.id ?? null };
      const known = Object.prototype.hasOwnProperty.call(table, one.method);
      return { result: known ? table[one.method] : {}, error: null, id: one.id ?? null };
    });
    return sendJson(res, 200, Array.isArray(call) ? answers : answers[0]);
  });
}

function syncthingServer(asked) {
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    asked.push(url.pathname);
    if (url.pathname === '/rest/system/version') {
      return sendJson(res, 200, { arch: 'amd64', longVersion: 'syncthing v1.27.2', os: 'linux', version: 'v1.27.2' });
    }
    if (url.pathname === '/rest/noauth/health') return sendJson(res, 200, { status: 'OK' });
    if (url.pathname === '/rest/system/status') return sendJson(res, 200, { myID: 'STANDIN', uptime: 1 });
    if (url.pathname.startsWith('/rest/config/folders') || url.pathname.startsWith('/rest/config/devices')) {
      return sendJson(res, 200, []);
    }
    return sendJson(res, 200, {});
  });
}

const DOCKER_LISTS = new Set(['/containers/json', '/images/json', '/networks', '/tasks', '/services', '/nodes']);

function dockerServer(asked) {
  return http.createServer((req, res) => {
    // dockerode prefixes a version (/v1.45/...) when it is given one; the engine accepts both.
    const pathname = new URL(req.url, 'http://docker').pathname.replace(/^\/v\d+\.\d+/, '');
    asked.push(`${req.method} ${pathname}`);
    if (pathname === '/_ping') {
      res.writeHead(200, { 'content-type': 'text/plain', 'api-version': '1.45' });
      return res.end('OK');
    }
    if (pathname === '/version') {
      return sendJson(res, 200, { Version: '27.0.3', ApiVersion: '1.45', MinAPIVersion: '1.24', Os: 'linux' });
    }
    if (pathname === '/info') return sendJson(res, 200, { ID: 'STANDIN', Containers: 0, Driver: 'overlay2' });
    if (pathname === '/volumes') return sendJson(res, 200, { Volumes: [], Warnings: [] });
    if (pathname === '/system/df') return sendJson(res, 200, { LayersSize: 0, Images: [], Containers: [], Volumes: [] });
    if (DOCKER_LISTS.has(pathname)) return sendJson(res, 200, []);
    if (pathname === '/networks/create') return sendJson(res, 201, { Id: 'standin', Warning: '' });
    if (/^\/networks\/[^/]+$/.test(pathname)) {
      return sendJson(res, 200, { Name: pathname.slice(10), Id: 'standin', IPAM: { Config: [] }, Containers: {} });
    }
    return sendJson(res, 404, { message: `the docker stand-in has no ${pathname}` });
  });
}

function listen(server, where) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof where === 'string') server.listen(where, resolve);
    else server.listen(where, '127.0.0.1', resolve);
  });
}

/** Starts all four; resolves with what each was asked, and close(). */
async function startStandIns({ dockerSocket }) {
  const asked = { fluxd: [], fluxbenchd: [], syncthing: [], docker: [] };
  /** fluxd methods answered with an error while a step wants FluxOS's daemon component down. */
  const fluxdFailing = new Set();
  fs.rmSync(dockerSocket, { force: true });
  const servers = [
    [rpcServer(FLUXD, asked.fluxd, fluxdFailing), 16124],
    [rpcServer(FLUXBENCHD, asked.fluxbenchd), 16224],
    [syncthingServer(asked.syncthing), 8384],
    [dockerServer(asked.docker), dockerSocket],
  ];
  for (const [server, where] of servers) await listen(server, where);
  return {
    asked,
    fluxdFailing,
    close: () => Promise.all(servers.map(([server]) => new Promise((resolve) => server.close(resolve)))),
  };
}

module.exports = { startStandIns };
