// Stand-in for FluxOS's apiServer.js. What matters for the recipe is kept as FluxOS has it: the
// userconfig is loaded when this module loads (first line), the anchors the recipe inserts at
// (the dbHelper require, and `await createDnsCache();` after the uncaughtException handler in
// initiate()), and the order: API server first, MongoDB only in startFluxFunctions() at the end.
const configManager = require('./ZelBack/src/services/utils/configManager');

process.env.NODE_CONFIG_DIR = `${__dirname}/ZelBack/config/`;

const http = require('node:http');
const config = require('config');

const log = require('./ZelBack/src/lib/log');
const serviceManager = require('./ZelBack/src/services/serviceManager');
const dbHelper = require('./ZelBack/src/services/dbHelper');

const apiPort = globalThis.userconfig.initial.apiport || config.server.apiport;

/** FluxOS installs a DNS cache here; the stand-in only records that this step ran. */
async function createDnsCache() {
  log.info('DNS cache ready');
}

async function logErrorAndExit(message, exitCode) {
  log.error(message);
  process.exit(exitCode);
}

/** The routes of ZelBack/src/routes.js, registered as FluxOS's express app registers them (GET only). */
const routes = new Map();
require('./ZelBack/src/routes')({
  get: (route, ...handlers) => routes.set(route, handlers),
});

/** Runs a route's middleware and handler, with FluxOS's `res.json` envelope. */
function handle(req, res) {
  res.json = (body) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };
  const handlers = req.method === 'GET' ? routes.get(req.url) : undefined;
  if (!handlers) {
    res.statusCode = 404;
    res.end();
    return;
  }
  const next = (i) => handlers[i](req, res, () => next(i + 1));
  next(0);
}

/**
 * Main entrypoint
 *
 * @returns {Promise<String>}
 */
async function initiate() {
  if (!config.server.allowedPorts.includes(+apiPort)) {
    await logErrorAndExit(`Flux port ${apiPort} is not supported. Shutting down.`, 0);
  }

  process.on('uncaughtException', (err) => {
    logErrorAndExit(`uncaught: ${err && err.message}`, 1);
  });

  await createDnsCache();

  log.info(`configManager watching ${configManager.configPath}`);

  const server = http.createServer(handle);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(apiPort, '127.0.0.1', resolve);
  });

  log.info(`Flux listening on port ${apiPort}!`);

  serviceManager.startFluxFunctions();

  return apiPort;
}

if (require.main === module) {
  initiate();
}

module.exports = {
  initiate,
};
