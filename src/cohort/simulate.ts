/**
 * A seeded Monte Carlo of the real decision rules over months: every node has
 * its own store, restarts at random intervals and, at each restart, runs the
 * same decide() that a real boot runs. It answers "how many nodes sit on
 * preprod, how much does that wander, and how many distinct nodes take a
 * turn" before the rules meet the real fleet.
 */
import { defaultSettings, describeValue } from '../config/settings';
import { PreprodError } from '../errors';
import {
  BOOT_HEALTH_KEY,
  COHORT_KEY,
  OPT_OUT_KEY,
  type PreProdSettings,
  type StoredDocument,
  type UserFlags,
} from '../types';
import { decide, markHealthyWrite, type StoreWrite } from './decide';
import { cryptoRandom, seededRandom } from './random';
import { Z_95 } from '../stats/wilson';

/** A simulated month is 30 days; the report's days and months are counted from the first boot. */
export const DAYS_PER_MONTH = 30;
const MS_PER_DAY = 86_400_000;
/** Simulated time 0. Any fixed instant would do; a fixed one keeps reports identical across runs. */
const EPOCH_MS = Date.UTC(2026, 0, 1);

export interface SimulationOptions {
  /** Nodes in the fleet, 1..1,000,000. */
  nodes: number;
  /** Months of 30 days to simulate, 1..120. */
  months: number;
  /** Configured preprod probability. Default 0.07. */
  probability?: number;
  /** Seed of the random stream, 0..4294967295. Default: a random seed, reported so the run can be replayed. */
  seed?: number;
  /** Mean days between restarts of a node (exponentially distributed). Default 7. */
  meanRestartDays?: number;
  /** Share of nodes whose operator set disablePreProd: true. Default 0.02. */
  optOutShare?: number;
  /** Days a draw stays valid. Default 30. */
  daysToNextEval?: number;
}

export interface SimulationMonth {
  /** 1-based month number. */
  month: number;
  /** Nodes on preprod at the end of the month. */
  preprod: number;
  /** Smallest, largest and mean preprod count over the month's daily samples (end of each day). */
  preprodMin: number;
  preprodMax: number;
  preprodMean: number;
  /** Distinct nodes that have run preprod at some point since the start. */
  distinctEver: number;
  /** Nodes whose operator opted out. */
  optedOut: number;
  /** Boots (restarts) during the month. */
  boots: number;
  /** Boots during the month that changed the node's branch (preprod ↔ production). */
  switches: number;
}

export interface SimulationReport {
  parameters: Required<SimulationOptions> & { daysPerMonth: number };
  months: SimulationMonth[];
  /** nodes × probability × (1 − optOutShare), and the range that holds the count 95% of the time. */
  expected: { preprod: number; low: number; high: number };
}

function usage(name: string, what: string, value: unknown): PreprodError {
  return new PreprodError('usage', `Expected \`${name}\` to be ${what}, got ${describeValue(value)}.`);
}

function wholeNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw usage(name, `a whole number from ${min} to ${max}`, value);
  }
  return value;
}

function numberIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw usage(name, `a number from ${min} to ${max}`, value);
  }
  return value;
}

/** Validates the options and fills in the defaults; throws PreprodError('usage') naming the first problem. */
export function simulationParameters(options: SimulationOptions): SimulationReport['parameters'] {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw usage('options', 'an object', options);
  }
  const pick = (key: keyof SimulationOptions): unknown =>
    Object.hasOwn(options, key) ? (options as unknown as Record<string, unknown>)[key] : undefined;
  const nodes = wholeNumber('nodes', pick('nodes'), 1, 1_000_000);
  const months = wholeNumber('months', pick('months'), 1, 120);
  const probability = numberIn('probability', pick('probability') ?? 0.07, 0, 1);
  const seed = wholeNumber('seed', pick('seed') ?? Math.floor(cryptoRandom() * 0x1_0000_0000), 0, 0xffffffff);
  // The lower bounds keep a run from turning into billions of boots by a slip of the decimal point.
  const meanRestartDays = numberIn('meanRestartDays', pick('meanRestartDays') ?? 7, 0.1, 3650);
  const optOutShare = numberIn('optOutShare', pick('optOutShare') ?? 0.02, 0, 1);
  const daysToNextEval = numberIn('daysToNextEval', pick('daysToNextEval') ?? 30, 1, 3650);
  const daysPerMonth = DAYS_PER_MONTH;
  return { nodes, months, probability, seed, meanRestartDays, optOutShare, daysToNextEval, daysPerMonth };
}

type Parameters = SimulationReport['parameters'];

/** What the nodes add up to, filled in node by node. */
interface Tally {
  totalDays: number;
  /**
   * preprodDelta[k] changes the count sampled at the end of day k (1..totalDays): a difference array,
   * so each node adds its preprod spells in O(1) instead of touching every day.
   */
  preprodDelta: Float64Array;
  /** Per month: nodes on preprod for the first time, boots, boots that changed the branch. */
  firstPreprodByMonth: Float64Array;
  boots: Float64Array;
  switches: Float64Array;
  optedOut: number;
}

function newTally(months: number): Tally {
  const totalDays = months * DAYS_PER_MONTH;
  return {
    totalDays,
    preprodDelta: new Float64Array(totalDays + 2),
    firstPreprodByMonth: new Float64Array(months),
    boots: new Float64Array(months),
    switches: new Float64Array(months),
    optedOut: 0,
  };
}

/** Counts a node on preprod from day `from` until day `to` (Infinity: until the end). */
function addSpell(tally: Tally, from: number, to: number): void {
  const first = Math.max(1, Math.ceil(from));
  const last = Number.isFinite(to) ? Math.min(tally.totalDays, Math.ceil(to) - 1) : tally.totalDays;
  if (first > last) return;
  tally.preprodDelta[first] += 1;
  tally.preprodDelta[last + 1] -= 1;
}

function apply(store: Map<string, StoredDocument>, writes: readonly StoreWrite[]): void {
  for (const write of writes) {
    if ('delete' in write) store.delete(write.key);
    else store.set(write.key, write.value);
  }
}

/** One boot of a node: the real decide() on its store, its writes applied. Whether it lands on preprod. */
function boot(
  store: Map<string, StoredDocument>,
  flags: UserFlags,
  settings: PreProdSettings,
  now: Date,
  random: () => number,
): boolean {
  const decision = decide({
    settings,
    flags,
    cohortDoc: store.get(COHORT_KEY) ?? null,
    optOutDoc: store.get(OPT_OUT_KEY) ?? null,
    healthDoc: store.get(BOOT_HEALTH_KEY) ?? null,
    now,
    random,
  });
  apply(store, decision.writes);
  const preprod = decision.mode === 'preprod';
  if (preprod) {
    // Simulated boots are healthy.
    const healthy = markHealthyWrite(store.get(BOOT_HEALTH_KEY) ?? null, now);
    if (healthy !== null) apply(store, [healthy]);
  }
  return preprod;
}

/** One node over the whole run: an opt-out draw, then boots at random intervals, each tallied. */
function simulateNode(tally: Tally, parameters: Parameters, settings: PreProdSettings, random: () => number): void {
  const optsOut = random() < parameters.optOutShare;
  if (optsOut) tally.optedOut += 1;
  const flags: UserFlags = { development: false, disablePreProd: optsOut ? true : undefined };
  const store = new Map<string, StoredDocument>();
  let onPreprod = false;
  let spellStart = 0;
  let everPreprod = false;

  // The release reaches every node within about a day (the watchdog checks every 1–4 h), hence the first boot.
  for (let t = random(); t < tally.totalDays; t += -parameters.meanRestartDays * Math.log(1 - random())) {
    const preprod = boot(store, flags, settings, new Date(EPOCH_MS + t * MS_PER_DAY), random);
    const month = Math.floor(t / DAYS_PER_MONTH);
    tally.boots[month] += 1;
    if (preprod === onPreprod) continue;
    tally.switches[month] += 1;
    if (preprod) {
      spellStart = t;
      if (!everPreprod) tally.firstPreprodByMonth[month] += 1;
      everPreprod = true;
    } else {
      addSpell(tally, spellStart, t);
    }
    onPreprod = preprod;
  }
  if (onPreprod) addSpell(tally, spellStart, Infinity);
}

/** The report's rows: the preprod count sampled at the end of each day, summed up per month. */
function monthlyRows(tally: Tally, months: number): SimulationMonth[] {
  const rows: SimulationMonth[] = [];
  let count = 0;
  let distinctEver = 0;
  for (let month = 0; month < months; month += 1) {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let k = month * DAYS_PER_MONTH + 1; k <= (month + 1) * DAYS_PER_MONTH; k += 1) {
      count += tally.preprodDelta[k];
      if (count < min) min = count;
      if (count > max) max = count;
      sum += count;
    }
    distinctEver += tally.firstPreprodByMonth[month];
    rows.push({
      month: month + 1,
      preprod: count,
      preprodMin: min,
      preprodMax: max,
      preprodMean: Math.round((sum / DAYS_PER_MONTH) * 10) / 10,
      distinctEver,
      optedOut: tally.optedOut,
      boots: tally.boots[month],
      switches: tally.switches[month],
    });
  }
  return rows;
}

/** nodes × probability × (1 − optOutShare), and the range that holds the count 95% of the time. */
function expectedCount(parameters: Parameters): SimulationReport['expected'] {
  const { nodes, probability, optOutShare } = parameters;
  const share = probability * (1 - optOutShare);
  const mean = nodes * share;
  // Each node is on preprod independently with probability `share` at any instant: a binomial count.
  const spread = Z_95 * Math.sqrt(nodes * share * (1 - share));
  return {
    preprod: Math.round(mean * 10) / 10,
    low: Math.max(0, Math.floor(mean - spread)),
    high: Math.min(nodes, Math.ceil(mean + spread)),
  };
}

/** Runs the simulation; the same options (seed included) give the same report. */
export function simulate(options: SimulationOptions): SimulationReport {
  const parameters = simulationParameters(options);
  const { probability, daysToNextEval } = parameters;
  const settings: PreProdSettings = { ...defaultSettings().preProd, probability, daysToNextEval };
  const random = seededRandom(parameters.seed);
  const tally = newTally(parameters.months);
  for (let node = 0; node < parameters.nodes; node += 1) simulateNode(tally, parameters, settings, random);
  return { parameters, months: monthlyRows(tally, parameters.months), expected: expectedCount(parameters) };
}
