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
const fluxService = require('./ZelBack/src/services/fluxService');
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

/** The two routes the tests read, with FluxOS's envelope. */
function handle(req, res) {
  const send = (body) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };
  if (req.url === '/flux/info') fluxService.getFluxInfo(req, { json: send });
  else if (req.url === '/flux/version') fluxService.getFluxVersion(req, { json: send });
  else {
    res.statusCode = 404;
    res.end();
  }
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
