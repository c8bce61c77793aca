/**
 * A seeded Monte Carlo of the real decision rules over months: every node has
 * its own store, restarts at random intervals and, at each restart, runs the
 * same decide() that a real boot runs. It answers "how many nodes sit on
 * preprod, how much does that wander, and how many distinct nodes take a
 * turn" before the rules meet the real fleet.
 */
import { defaultSettings, describeValue } from '../config/settings';
import { PreprodError } from '../errors';
import { BOOT_HEALTH_KEY, COHORT_KEY, OPT_OUT_KEY, type PreProdSettings, type StoredDocument, type UserFlags } from '../types';
import { decide, markHealthyWrite, type StoreWrite } from './decide';
import { cryptoRandom, seededRandom } from './random';

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
  return { nodes, months, probability, seed, meanRestartDays, optOutShare, daysToNextEval, daysPerMonth: DAYS_PER_MONTH };
}

function apply(store: Map<string, StoredDocument>, writes: readonly StoreWrite[]): void {
  for (const write of writes) {
    if ('delete' in write) store.delete(write.key);
    else store.set(write.key, write.value);
  }
}

/** Runs the simulation; the same options (seed included) give the same report. */
export function simulate(options: SimulationOptions): SimulationReport {
  const parameters = simulationParameters(options);
  const { nodes, months, probability, seed, meanRestartDays, optOutShare, daysToNextEval } = parameters;
  const settings: PreProdSettings = { ...defaultSettings().preProd, probability, daysToNextEval };
  const random = seededRandom(seed);
  const totalDays = months * DAYS_PER_MONTH;

  // preprodDelta[k] changes the count sampled at the end of day k (1..totalDays): a difference array,
  // so each node adds its preprod spells in O(1) instead of touching every day.
  const preprodDelta = new Float64Array(totalDays + 2);
  const firstPreprodByMonth = new Float64Array(months);
  const boots = new Float64Array(months);
  const switches = new Float64Array(months);
  let optedOut = 0;

  const addSpell = (from: number, to: number): void => {
    const first = Math.max(1, Math.ceil(from));
    const last = Number.isFinite(to) ? Math.min(totalDays, Math.ceil(to) - 1) : totalDays;
    if (first > last) return;
    preprodDelta[first] += 1;
    preprodDelta[last + 1] -= 1;
  };

  for (let node = 0; node < nodes; node += 1) {
    const optsOut = random() < optOutShare;
    if (optsOut) optedOut += 1;
    const flags: UserFlags = { development: false, disablePreProd: optsOut ? true : undefined };
    const store = new Map<string, StoredDocument>();
    let onPreprod = false;
    let spellStart = 0;
    let everPreprod = false;

    // The release reaches every node within about a day (the watchdog checks every 1–4 h), hence the first boot.
    for (let t = random(); t < totalDays; t += -meanRestartDays * Math.log(1 - random())) {
      const now = new Date(EPOCH_MS + t * MS_PER_DAY);
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
      const month = Math.floor(t / DAYS_PER_MONTH);
      boots[month] += 1;
      const preprod = decision.mode === 'preprod';
      if (preprod) {
        // Simulated boots are healthy.
        const healthy = markHealthyWrite(store.get(BOOT_HEALTH_KEY) ?? null, now);
        if (healthy !== null) apply(store, [healthy]);
      }
      if (preprod === onPreprod) continue;
      switches[month] += 1;
      if (preprod) {
        spellStart = t;
        if (!everPreprod) firstPreprodByMonth[month] += 1;
        everPreprod = true;
      } else {
        addSpell(spellStart, t);
      }
      onPreprod = preprod;
    }
    if (onPreprod) addSpell(spellStart, Infinity);
  }

  const report: SimulationMonth[] = [];
  let count = 0;
  let distinctEver = 0;
  for (let month = 0; month < months; month += 1) {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let k = month * DAYS_PER_MONTH + 1; k <= (month + 1) * DAYS_PER_MONTH; k += 1) {
      count += preprodDelta[k];
      if (count < min) min = count;
      if (count > max) max = count;
      sum += count;
    }
    distinctEver += firstPreprodByMonth[month];
    report.push({
      month: month + 1,
      preprod: count,
      preprodMin: min,
      preprodMax: max,
      preprodMean: Math.round((sum / DAYS_PER_MONTH) * 10) / 10,
      distinctEver,
      optedOut,
      boots: boots[month],
      switches: switches[month],
    });
  }

  const share = probability * (1 - optOutShare);
  const mean = nodes * share;
  // Each node is on preprod independently with probability `share` at any instant: a binomial count.
  const spread = 1.96 * Math.sqrt(nodes * share * (1 - share));
  return {
    parameters,
    months: report,
    expected: {
      preprod: Math.round(mean * 10) / 10,
      low: Math.max(0, Math.floor(mean - spread)),
      high: Math.min(nodes, Math.ceil(mean + spread)),
    },
  };
}
