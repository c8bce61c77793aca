/**
 * Health signals: what a node's `/flux/info` says about its health beyond
 * "it answered" (docs/health.md). Real FluxOS (v8.17.0, `getFluxInfo()` in
 * ZelBack/src/services/fluxService.js) builds `data` from its components:
 * `node.status` (fluxd's `getfluxnodestatus`), `benchmark.status` and
 * `benchmark.bench` (fluxbenchd), `apps.runningapps` (the app containers it
 * runs, an array), `flux.numberOfConnectionsIn/Out`, `daemon.info.blocks`,
 * `flux.arcaneVersion` (set on ArcaneOS only) and `geolocation` (ip-api's
 * `org` and `countryCode`). When any component fails, the whole reply is an
 * error envelope `{status:'error', data:{code,name,message}}`.
 *
 * Pure and total: the reply comes from a stranger, so every field is
 * checked for type and range, strings are capped and cleaned and are only
 * ever values (never keys of plain objects), and any input gives a result.
 */

/** FluxOS's valid benchmark tiers (benchmarkService.js `validTiers`): any other status is not passing. */
const PASSING_TIERS: ReadonlySet<string> = new Set(['CUMULUS', 'NIMBUS', 'STRATUS']);

/**
 * Why a node answered with an error envelope, as one of a few fixed classes.
 * The raw message is never kept as a key: a node could send any text.
 */
export const DEGRADED_CLASSES = ['daemon', 'benchmark', 'apps', 'docker', 'database', 'network', 'other'] as const;
export type DegradedClass = (typeof DEGRADED_CLASSES)[number];

export interface HealthSignals {
  /** `node.status.status === 'CONFIRMED'`; null when the field is missing or not a string. */
  confirmed: boolean | null;
  /** The benchmark's tier is one of CUMULUS, NIMBUS, STRATUS; null when neither benchmark field says. */
  benchmarkPassing: boolean | null;
  /** Number of app containers the node runs (`apps.runningapps.length`), capped at MAX_COUNT. */
  runningApps: number | null;
  /** `flux.numberOfConnectionsIn` and `…Out`, whole numbers capped at MAX_COUNT. */
  peersIn: number | null;
  peersOut: number | null;
  /** `daemon.info.blocks`: the node's block height. Lag is computed across nodes (blockLags). */
  blocks: number | null;
  /** `flux.arcaneVersion` is a non-empty string: the node runs ArcaneOS. */
  arcane: boolean;
  /** `geolocation.org`: the hosting provider, cleaned and capped at MAX_PROVIDER characters. */
  provider: string | null;
  /** `geolocation.countryCode`: two capital letters, else null. */
  country: string | null;
  /** When this FluxOS process started, Unix seconds (`flux.preProd.bootedAt`, ISO), else null. */
  bootedAt: number | null;
  /** Null for a success envelope; the class of the failure for an error envelope. */
  degraded: DegradedClass | null;
}

/** Counts above this are capped: a node cannot claim 10⁹ apps, and the history keeps a small int. */
export const MAX_COUNT = 255;
/** Block heights above this are not believed (Flux is near 2·10⁶ in 2026; 2³¹ leaves decades). */
export const MAX_BLOCKS = 2 ** 31 - 1;
export const MAX_PROVIDER = 40;

/** Nothing known: what a node without a usable answer contributes. */
export const NO_SIGNALS: Readonly<HealthSignals> = Object.freeze({
  confirmed: null,
  benchmarkPassing: null,
  runningApps: null,
  peersIn: null,
  peersOut: null,
  blocks: null,
  arcane: false,
  provider: null,
  country: null,
  bootedAt: null,
  degraded: null,
});

function own(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function count(value: unknown): number | null {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return null;
  return Math.min(value, MAX_COUNT);
}

/** Printable ASCII, cut to `max` first so a megabyte costs a slice; null when empty or not a string. */
function cleanString(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return null;
  const text = value
    .slice(0, max)
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return text === '' ? null : text;
}

function benchmarkPassing(benchmark: unknown): boolean | null {
  // getbenchmarks' `status` is the tier the node benchmarked at; getstatus' `benchmarking` says the same.
  const tier = own(own(benchmark, 'bench'), 'status') ?? own(own(benchmark, 'status'), 'benchmarking');
  return typeof tier === 'string' ? PASSING_TIERS.has(tier) : null;
}

/** Longest ISO timestamp accepted: `2026-12-06T20:20:15.123Z` is 24 characters. */
const MAX_ISO = 30;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** An ISO UTC timestamp as Unix seconds; null for anything else. */
export function isoSeconds(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > MAX_ISO || !ISO_UTC.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/** The signals of a success envelope's `data` (any value: bad fields become null). */
export function readSignals(data: unknown): HealthSignals {
  const flux = own(data, 'flux');
  const geolocation = own(data, 'geolocation');
  const blocks = own(own(own(data, 'daemon'), 'info'), 'blocks');
  const apps = own(own(data, 'apps'), 'runningapps');
  const status = own(own(own(data, 'node'), 'status'), 'status');
  const country = own(geolocation, 'countryCode');
  return {
    confirmed: typeof status === 'string' ? status === 'CONFIRMED' : null,
    benchmarkPassing: benchmarkPassing(own(data, 'benchmark')),
    runningApps: Array.isArray(apps) ? Math.min(apps.length, MAX_COUNT) : null,
    peersIn: count(own(flux, 'numberOfConnectionsIn')),
    peersOut: count(own(flux, 'numberOfConnectionsOut')),
    blocks:
      typeof blocks === 'number' && Number.isInteger(blocks) && blocks >= 0 && blocks <= MAX_BLOCKS ? blocks : null,
    arcane: cleanString(own(flux, 'arcaneVersion'), 32) !== null,
    provider: cleanString(own(geolocation, 'org'), MAX_PROVIDER),
    country: typeof country === 'string' && /^[A-Z]{2}$/.test(country) ? country : null,
    bootedAt: isoSeconds(own(own(flux, 'preProd'), 'bootedAt')),
    degraded: null,
  };
}

/**
 * Words that place an error message in a class, checked in this order. FluxOS
 * throws the failing component's own error (an RPC error from fluxd or
 * fluxbenchd, a docker socket error, a MongoDB error), so its name and
 * message name the component often enough for a coarse class.
 */
const CLASS_WORDS: readonly [DegradedClass, RegExp][] = [
  ['benchmark', /bench/i],
  ['daemon', /daemon|fluxd|rpc|fluxnode|blockchain/i],
  ['docker', /docker|container|socket/i],
  ['apps', /\bapps?\b|application|syncthing/i],
  ['database', /mongo|database|\bdb\b/i],
  ['network', /ECONN|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|timeout|network|peer/i],
];

/** Characters of an error's name and message looked at: enough for the words above, cheap for a megabyte. */
const MAX_MESSAGE_READ = 200;

/** The class of an error envelope's `data` ({code, name, message}); 'other' when nothing matches. */
export function degradedClass(data: unknown): DegradedClass {
  const parts = ['name', 'message', 'code'].map((key) => {
    const value = own(data, key);
    return typeof value === 'string' ? value.slice(0, MAX_MESSAGE_READ) : '';
  });
  const text = parts.join(' ');
  for (const [name, words] of CLASS_WORDS) if (words.test(text)) return name;
  return 'other';
}

/** The signals of an error envelope: nothing but the class is known. */
export function degradedSignals(data: unknown): HealthSignals {
  return { ...NO_SIGNALS, degraded: degradedClass(data) };
}

/** The median of the numbers given (the lower middle for an even count); null for none. */
export function lowerMedian(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * Each node's lag behind the fleet's median block height in one scan (0 when
 * ahead): a node's own height means nothing alone, and a median cannot be
 * moved far by a few nodes lying about theirs. Null where a node gave none.
 */
export function blockLags(blocks: readonly (number | null)[]): (number | null)[] {
  const known = blocks.filter((value): value is number => value !== null);
  const median = lowerMedian(known);
  return blocks.map((value) => (value === null || median === null ? null : Math.max(0, median - value)));
}

/** Seconds a node's FluxOS has been up at `nowSeconds`, or null when its boot time is unknown or in the future. */
export function uptimeSeconds(signals: Pick<HealthSignals, 'bootedAt'>, nowSeconds: number): number | null {
  if (signals.bootedAt === null || signals.bootedAt > nowSeconds) return null;
  return nowSeconds - signals.bootedAt;
}
