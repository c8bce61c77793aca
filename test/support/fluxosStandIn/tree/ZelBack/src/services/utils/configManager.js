// Stand-in for FluxOS's config manager: a singleton that loads config/userconfig.js into
// globalThis.userconfig when this module is first required (FluxOS's apiServer.js requires it
// on its first line), falling back to defaults when the file cannot be loaded.
const path = require('node:path');

class ConfigManager {
  constructor() {
    this.configPath = path.join(__dirname, '../../../../config/userconfig.js');
    this.loadConfig();
  }

  loadConfig() {
    try {
      // eslint-disable-next-line global-require, import/no-dynamic-require
      globalThis.userconfig = require(this.configPath);
    } catch (error) {
      process.stderr.write(`Error loading userconfig: ${error.message}\n`);
      globalThis.userconfig = { initial: { ipaddress: '127.0.0.1', development: false, apiport: 16127 } };
    }
  }
}

module.exports = new ConfigManager();
