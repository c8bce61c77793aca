/**
 * fluxos-preprod's public API, for FluxOS and typed hosts (CommonJS: `require('fluxos-preprod')`): the
 * service, its options and result types, and the store opener. Nothing else: the CLI, the fleet scanner and
 * the gate are reached through the `bin`, and the test seams through src/testing.ts, which the package does
 * not export. api/fluxos-preprod.api.d.ts records this surface; `npm test` fails when it changes unseen.
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
export type { FluxInfoFields, PreProdInfo } from './boot/fluxInfo';
export { openStore, FileStateStore, MongoStateStore } from './state';
export type { StateStore } from './state';
export type { Logger } from './logger';
export type { Mode, PreProdSettings, ReasonCode, RestartStrategy, Settings } from './types';
