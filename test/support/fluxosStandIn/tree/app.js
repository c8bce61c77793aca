// Stand-in FluxOS entry point: like FluxOS, it points node-config at ZelBack/config and awaits
// apiServer.initiate(); a failed initiate() ends the process with code 1.
process.env.NODE_CONFIG_DIR = `${__dirname}/ZelBack/config/`;

const log = require('./ZelBack/src/lib/log');
const apiServer = require('./apiServer');

apiServer.initiate().then(
  (apiPort) => log.info(`initiate() returned ${apiPort}`),
  (error) => {
    log.error(`initiate() failed: ${error && error.message}`);
    process.exit(1);
  },
);
