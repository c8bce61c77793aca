// ZelBack/src/apiServer.js (FluxOS) — inside initiate(), right after
// userconfig is loaded and before the DNS cache is set up. Awaited: it is bounded
// (15 s by default) and never throws.

const preprodBoot = require('./services/preprodBoot');

// ...in initiate():
const preprod = await preprodBoot.runPreprodAtBoot({
  config,
  userconfig: globalThis.userconfig,
  log,
  dbHelper,
});
log.info(`preprod: ${preprod.mode} (${preprod.reason})`);
// If the checkout was switched, the package restarts FluxOS itself
// (nodemon: touches app.js; systemd/pm2: exits so the supervisor restarts).
