/**
 * The crash-loop fallback of docs/design.md §9, pure: the stored counter, the
 * cohort period and the time come in; the counter's state and its write go out.
 */
import { BOOT_HEALTH_KEY, type StoredDocument } from '../types';
import { parseBootHealth, type BootHealthRecord, type StoreWrite } from './records';

/** The crash-loop counter of this cohort period after this boot. */
export interface HealthInfo {
  unhealthyBoots: number;
  maxUnhealthyBoots: number;
  fellBackAt: Date | null;
}

export interface HealthInput {
  healthDoc: StoredDocument | null;
  /** The rolledAt of the cohort period in force. */
  rolledAt: Date;
  maxUnhealthyBoots: number;
  now: Date;
}

/** What the counter says about a node the cohort selected. */
export type HealthOutcome =
  | { fellBack: true; info: HealthInfo; write: StoreWrite | null }
  | { fellBack: false; info: HealthInfo; write: StoreWrite };

/**
 * A selected node falls back once `maxUnhealthyBoots` preprod boots in a row
 * were not marked healthy; the fallback is dated when it happens and holds for
 * the rest of the period. Otherwise this boot is counted before it is known to
 * be good: a boot that crashes never gets to count itself.
 */
export function evaluateHealth(input: HealthInput): HealthOutcome {
  const { rolledAt, maxUnhealthyBoots: max, now } = input;
  const health = parseBootHealth(input.healthDoc);
  const samePeriod = health !== null && health.cohortRolledAt.getTime() === rolledAt.getTime();
  if (samePeriod && (health.fellBackAt !== undefined || health.unhealthyBoots >= max)) {
    const fellBackAt = health.fellBackAt ?? new Date(now.getTime());
    const write: StoreWrite | null =
      health.fellBackAt === undefined
        ? { key: BOOT_HEALTH_KEY, value: { ...health, fellBackAt, updatedAt: new Date(now.getTime()) } }
        : null;
    return {
      fellBack: true,
      info: { unhealthyBoots: health.unhealthyBoots, maxUnhealthyBoots: max, fellBackAt },
      write,
    };
  }
  const unhealthyBoots = samePeriod ? health.unhealthyBoots + 1 : 1;
  const counter: BootHealthRecord = {
    key: BOOT_HEALTH_KEY,
    cohortRolledAt: new Date(rolledAt.getTime()),
    unhealthyBoots,
    updatedAt: new Date(now.getTime()),
  };
  return {
    fellBack: false,
    info: { unhealthyBoots, maxUnhealthyBoots: max, fellBackAt: null },
    write: { key: BOOT_HEALTH_KEY, value: { ...counter } },
  };
}

/**
 * The write that marks this boot healthy: the counter of the period goes back
 * to 0. Null when there is nothing to write (no counter, already 0, or the
 * node already fell back: it stays on production for the rest of the period).
 * Apply it only after a boot on preprod; a production boot says nothing about
 * preprod's health.
 */
export function markHealthyWrite(healthDoc: StoredDocument | null, now: Date): StoreWrite | null {
  const health = parseBootHealth(healthDoc);
  if (health === null || health.fellBackAt !== undefined || health.unhealthyBoots === 0) return null;
  return { key: BOOT_HEALTH_KEY, value: { ...health, unhealthyBoots: 0, updatedAt: new Date(now.getTime()) } };
}
