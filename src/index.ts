/**
 * fluxos-preprod's public API, for FluxOS (CommonJS: `require('fluxos-preprod')`).
 *
 *   const { createPreprodService } = require('fluxos-preprod');
 *   const preprod = createPreprodService({ repoDir, db, logger: log, userconfig });
 *   const decision = await preprod.runAtBoot();   // never throws, bounded
 *   Object.assign(info.flux, preprod.fluxInfo()); // in /flux/info, no I/O
 */
export { createPreprodService } from './boot/service';
export type {
  BootResult,
  DbSource,
  HealthyReport,
  PendingStep,
  PreprodService,
  PreprodServiceOptions,
} from './boot/service';
export { createFluxInfoHandler, startFluxInfoServer, PENDING_FLUX_INFO } from './boot/fluxInfo';
export type { FluxInfoFields, PreProdInfo } from './boot/fluxInfo';
export { readSettings, defaultSettings, validateSettings } from './config/settings';
export { readUserFlags } from './config/userconfig';
export { decide, redrawReason, describeDecision } from './cohort/decide';
export type { Decision } from './cohort/decide';
export { openStore, FileStateStore, MongoStateStore, DEFAULT_STORE_URL } from './state';
export type { StateStore } from './state';
export { trackedVersion } from './checkout/repository';
export { PreprodError, isPreprodError } from './errors';
export type { ErrorKind } from './errors';
export type { Logger } from './logger';
export * from './types';
