// Stand-in for FluxOS's fluxService: getFluxInfo() builds data.flux field by field, as FluxOS
// does, with the line the recipe anchors on (`info.flux.staticIp = …`).
const log = require('../lib/log');
const packageJson = require('../../../package.json');
const dbHelper = require('./dbHelper');
const geolocationService = require('./geolocationService');

function successMessage(data) {
  return { status: 'success', data };
}

function errorMessage(error) {
  return { status: 'error', data: { code: error.code, name: error.name, message: error.message } };
}

async function getFluxVersion(req, res) {
  const message = successMessage(packageJson.version);
  return res ? res.json(message) : message;
}

/**
 * To get info (version, status etc.) for daemon, node, benchmark, FluxOS and apps.
 * @param {object} req Request.
 * @param {object} res Response.
 * @returns {Promise<object>} Message.
 */
async function getFluxInfo(req, res) {
  try {
    const info = {
      daemon: {},
      node: {},
      benchmark: {},
      flux: {},
      apps: {},
    };
    // Real FluxOS throws the first failing component's error (fluxd, fluxbenchd, docker, MongoDB…), and the
    // whole reply becomes an error envelope. STANDIN_FLUXINFO_ERROR plays a failing component.
    if (process.env.STANDIN_FLUXINFO_ERROR) {
      const error = new Error(process.env.STANDIN_FLUXINFO_ERROR);
      error.name = 'RPCError';
      error.code = -28;
      throw error;
    }
    info.flux.version = packageJson.version;
    info.flux.nodeJsVersion = process.versions.node;
    info.flux.ip = globalThis.userconfig.initial.ipaddress;
    info.flux.staticIp = geolocationService.isStaticIP();
    info.flux.dbConnected = dbHelper.databaseConnection() !== null;
    info.flux.development = globalThis.userconfig.initial.development || false;
    const message = successMessage(info);
    return res ? res.json(message) : message;
  } catch (error) {
    log.error(error);
    const message = errorMessage(error);
    return res ? res.json(message) : message;
  }
}

module.exports = {
  getFluxInfo,
  getFluxVersion,
};
