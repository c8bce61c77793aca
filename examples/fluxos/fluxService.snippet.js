// ZelBack/src/services/fluxService.js (FluxOS) — in getFluxInfo(), where
// info.flux is assembled (after staticIp). Synchronous and I/O-free.

const preprodBoot = require('./preprodBoot');

// ...in getFluxInfo():
Object.assign(info.flux, preprodBoot.preprodInfo()); // adds preProdNode and preProd
