// The e2e steps' world, run by run.js inside `unshare -n` (a network namespace with loopback only):
// FerretDB on 127.0.0.1:27017, the stand-ins (standins.js), the sudo stand-in, and FluxOS under
// pm2 → start.sh → npm start → nodemon → node app.js, as legacy nodes run it. Then steps.js.
'use strict';

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { startStandIns } = require('./standins');
const { runSteps } = require('./steps');

const SYNCTHING_CONFIG =
  '<configuration version="37"><gui enabled="true" tls="false"><address>127.0.0.1:8384</address>' +
  '<apikey>e2e-stand-in</apikey></gui></configuration>\n';

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}

async function startFerretDb(plan) {
  const dir = path.join(plan.work, 'ferretdb');
  fs.mkdirSync(dir, { recursive: true });
  // The server exits when its stdin closes, so it cannot outlive this process.
  const child = spawn(plan.ferretdb, ['-dir', dir, '-listen', '127.0.0.1:27017'], { stdio: ['pipe', 'ignore', 'pipe'] });
  await waitForPort(27017, 30_000);
  return child;
}

/** FluxOS's explorer reports an error in /flux/info until it has scanned a block: it has, here. */
async function seedDatabase(plan) {
  const { MongoClient } = require(path.join(plan.root, 'node_modules/mongodb'));
  const client = await new MongoClient('mongodb://127.0.0.1:27017').connect();
  try {
    await client
      .db('zelcashdata')
      .collection('scannedheight')
      .updateOne({ generalScannedHeight: { $gte: 0 } }, { $set: { generalScannedHeight: 1_800_000 } }, { upsert: true });
  } finally {
    await client.close();
  }
}

function nodeEnv(plan) {
  const bin = path.join(plan.work, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync(path.join(__dirname, 'bin/sudo'), path.join(bin, 'sudo'));
  fs.chmodSync(path.join(bin, 'sudo'), 0o755);
  const syncthing = path.join(plan.home, '.config/syncthing');
  fs.mkdirSync(syncthing, { recursive: true });
  fs.writeFileSync(path.join(syncthing, 'config.xml'), SYNCTHING_CONFIG);
  const paths = [bin, path.join(plan.root, 'node_modules/.bin'), path.dirname(plan.pm2), process.env.PATH];
  return {
    PATH: paths.join(':'),
    HOME: plan.home,
    LANG: 'C.UTF-8',
    PM2_HOME: path.join(plan.work, 'pm2'),
    DOCKER_HOST: `unix://${path.join(plan.work, 'docker.sock')}`,
    E2E_SUDO_LOG: path.join(plan.work, 'sudo.log'),
    E2E_TIMING_FILE: path.join(plan.work, 'boots.jsonl'),
    NODE_OPTIONS: `--require ${path.join(__dirname, 'bootTimer.js')}`,
    // Every node in this run is in the preprod cohort (the recipe ships probability 0).
    NODE_CONFIG: JSON.stringify({ preProd: { probability: 1 } }),
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
}

async function main() {
  const plan = JSON.parse(fs.readFileSync(path.join(process.argv[2], 'plan.json'), 'utf8'));
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const ferretdb = await startFerretDb(plan);
  const standIns = await startStandIns({ dockerSocket: path.join(plan.work, 'docker.sock') });
  const env = nodeEnv(plan);
  const pm2 = (...args) => execFileSync(plan.pm2, args, { env, cwd: plan.home, encoding: 'utf8', stdio: 'pipe' });
  let failed = 1;
  try {
    await seedDatabase(plan);
    failed = await runSteps({ plan, env, pm2, standIns });
  } catch (error) {
    process.stdout.write(`FAIL  the run itself: ${error.message}\n`);
  } finally {
    try {
      pm2('kill');
    } catch {
      // nothing left to stop
    }
    await standIns.close();
    ferretdb.stdin.end();
    ferretdb.kill('SIGTERM');
  }
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
