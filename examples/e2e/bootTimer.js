// Preloaded into every node process of the e2e run (NODE_OPTIONS=--require): when FluxOS loads
// fluxos-preprod, its runAtBoot() is timed and its result appended, one JSON line per boot, to
// E2E_TIMING_FILE. Measurement only: FluxOS and the package run unchanged, and a process that never loads
// the package (npm, nodemon, pm2) is not touched.
'use strict';

const fs = require('node:fs');
const Module = require('node:module');

const file = process.env.E2E_TIMING_FILE;
const originalLoad = Module._load;

function record(entry) {
  try {
    fs.appendFileSync(file, `${JSON.stringify({ pid: process.pid, ...entry })}\n`);
  } catch {
    // measurement must never change what FluxOS does
  }
}

function timedService(service) {
  return new Proxy(service, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (key !== 'runAtBoot' || typeof value !== 'function') return value;
      return async (...args) => {
        const startedAt = Date.now();
        const started = process.hrtime.bigint();
        const result = await value.apply(target, args);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const branch = result && result.branch;
        const brief = { mode: result?.mode, reason: result?.reason, after: branch?.after, switched: branch?.switched };
        record({ startedAt, endedAt: Date.now(), ms, uptimeMs: process.uptime() * 1000, ...brief });
        return result;
      };
    },
  });
}

if (file) {
  Module._load = function load(request, ...rest) {
    const loaded = originalLoad.call(this, request, ...rest);
    if (request !== 'fluxos-preprod' || !loaded || typeof loaded.createPreprodService !== 'function') return loaded;
    return new Proxy(loaded, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (key !== 'createPreprodService') return value;
        return (...args) => timedService(value.apply(target, args));
      },
    });
  };
}
