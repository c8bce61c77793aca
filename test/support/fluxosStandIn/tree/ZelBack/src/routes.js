// Stand-in for FluxOS's ZelBack/src/routes.js: routes are added by `app.get(path, middleware, handler)`
// inside `module.exports = (app) => {…}`, as FluxOS does, with the lines the recipe anchors on (the
// fluxService require and the /flux/version route). `cache` stands for apicache's middleware.
const fluxService = require('./services/fluxService');

const cache = () => (req, res, next) => next();

module.exports = (app) => {
  // GET PUBLIC methods
  app.get('/flux/info', cache('60 seconds'), (req, res) => {
    fluxService.getFluxInfo(req, res);
  });
  app.get('/flux/version', cache('30 seconds'), (req, res) => {
    fluxService.getFluxVersion(req, res);
  });
};
