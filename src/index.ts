/**
 * fluxos-preprod's public API, for FluxOS (CommonJS: `require('fluxos-preprod')`).
 *
 *   const { createPreprodService } = require('fluxos-preprod');
 *   const preprod = createPreprodService({ repoDir, db, logger: log, userconfig });
 *   const decision = await preprod.runAtBoot();   // never throws, bounded
 *   Object.assign(info.flux, preprod.fluxInfo()); // in /flux/info, no I/O
 */
export { createPreprodService } from './preprodService';
export type { BootResult, PreprodService, PreprodServiceOptions } from './preprodService';
export { createFluxInfoHandler, startFluxInfoServer, PENDING_FLUX_INFO } from './fluxInfo';
export type { FluxInfoFields, PreProdInfo } from './fluxInfo';
export { readSettings, defaultSettings, validateSettings } from './config';
export { readUserFlags } from './userconfig';
export { decide, redrawReason, describeDecision } from './cohort';
export type { Decision } from './cohort';
export { openStore, FileStateStore, MongoStateStore, DEFAULT_STORE_URL } from './state';
export type { StateStore } from './state';
export { trackedVersion } from './repository';
export { PreprodError, isPreprodError } from './errors';
export type { ErrorKind } from './errors';
export type { Logger } from './logger';
export * from './types';
