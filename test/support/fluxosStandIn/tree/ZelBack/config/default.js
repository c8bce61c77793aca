// Stand-in for FluxOS's node-config defaults: the keys the recipe and the tests read.
// eslint-disable-next-line prefer-const
let userconfig = require('../../config/userconfig');

const isDevelopment = userconfig.initial.development || false;

module.exports = {
  development: isDevelopment,
  server: {
    allowedPorts: [16127, 16137, 16147, 16157, 16167, 16177, 16187, 16197],
    apiport: 16127,
  },
  database: {
    url: '127.0.0.1',
    port: 27017,
    local: {
      database: 'zelfluxlocal',
      collections: {
        loggedUsers: 'loggedusers',
      },
    },
  },
};
