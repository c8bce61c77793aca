// What the e2e steps act on and look at: the node's FluxOS over HTTP, its checkout, its logs, pm2, and the
// boots bootTimer.js recorded.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const API = 'http://127.0.0.1:16127';
const BOOT_WAIT_MS = 240_000;
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'FluxOS e2e',
  GIT_AUTHOR_EMAIL: 'e2e@example.invalid',
  GIT_COMMITTER_NAME: 'FluxOS e2e',
  GIT_COMMITTER_EMAIL: 'e2e@example.invalid',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function git(dir, ...args) {
  return execFileSync('git', ['-C', dir, ...args], { env: GIT_ENV, encoding: 'utf8' }).trim();
}

class StepFailed extends Error {}

function expectThat(ok, message) {
  if (!ok) throw new StepFailed(message);
}

async function getJson(route) {
  try {
    const response = await fetch(`${API}${route}`, { signal: AbortSignal.timeout(10_000) });
    return await response.json();
  } catch {
    return null;
  }
}

/** Polls `check` every 250 ms until it returns something other than null/false; throws after timeoutMs. */
async function waitUntil(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null && value !== false && value !== undefined) return value;
    if (Date.now() > deadline) throw new StepFailed(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

function createWorld({ plan, env, pm2, standIns }) {
  const timingFile = env.E2E_TIMING_FILE;
  const boots = () =>
    fs.existsSync(timingFile)
      ? fs
          .readFileSync(timingFile, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line))
      : [];
  const world = {
    plan,
    pm2,
    boots,
    timings: { switchToListening: [] },
    head: () => ({ branch: git(plan.node, 'rev-parse', '--abbrev-ref', 'HEAD'), commit: git(plan.node, 'rev-parse', 'HEAD') }),
    version: async () => (await getJson('/flux/version'))?.data ?? null,
    info: () => getJson('/flux/info'),
    /** The recipe's cheap route (docs/health.md). */
    preprodRoute: () => getJson('/flux/preprod'),
    /** fluxd methods the stand-in answers with a loading error (standins.js). */
    fluxdFailing: standIns?.fluxdFailing ?? new Set(),
    /** The next boot's record after `seen` boots. */
    nextBoot: (seen) => waitUntil('the boot step of the next FluxOS start', BOOT_WAIT_MS, () => boots()[seen] ?? null),
    /** Waits until FluxOS answers /flux/version with `version`; returns when, in ms since the epoch. */
    listening: (version) =>
      waitUntil(`FluxOS to answer /flux/version with ${version}`, BOOT_WAIT_MS, async () =>
        (await world.version()) === version ? Date.now() : null,
      ),
    /** A `pm2 restart flux`, as the watchdog and operators do; resolves with the boot it caused. */
    async restart() {
      const seen = boots().length;
      pm2('restart', 'flux');
      return world.nextBoot(seen);
    },
    pm2Restarts() {
      const list = JSON.parse(pm2('jlist'));
      return list.find((app) => app.name === 'flux')?.pm2_env?.restart_time ?? null;
    },
    userconfig: path.join(plan.node, 'config/userconfig.js'),
  };
  return world;
}

/** FluxOS's four log files' lines with their timestamps, earliest first. */
function logLines(node) {
  const lines = [];
  for (const level of ['error', 'warn', 'info', 'debug']) {
    const file = path.join(node, `${level}.log`);
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const at = Date.parse(line.slice(0, 24));
      if (!Number.isNaN(at)) lines.push({ at, line: line.replace(/\s+/g, ' ') });
    }
  }
  return lines.sort((a, b) => a.at - b.at);
}

/** The earliest line FluxOS logged. */
function firstLogLine(node) {
  return logLines(node)[0]?.line ?? null;
}

/** When the checkout last switched to `branch`, from the package's "switched to …" log line; null if never. */
function lastSwitchTo(node, branch) {
  const switches = logLines(node).filter(({ line }) => line.includes(`: switched to ${branch} at `));
  return switches.length === 0 ? null : switches[switches.length - 1].at;
}

module.exports = { StepFailed, createWorld, expectThat, firstLogLine, git, lastSwitchTo, sleep, waitUntil, GIT_ENV };
