/**
 * The bounds of a fleet scan and how they combine (docs/design.md §7). Pure.
 *
 * Memory: every fetch in flight may buffer up to `maxBytes` of its reply, so
 * the scan runs at most `budgetBytes / maxBytes` fetches at once, whatever
 * `concurrency` asks for. What the scanner buffers is then bounded by the
 * budget even when every node in flight is hostile and sends all it may.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

export interface ScanLimits {
  /** Fetches asked to be in flight at once. */
  concurrency: number;
  /** Deadline of one node from the moment its fetch starts: connect, headers, the whole body and its parsing. */
  timeoutMs: number;
  /** Body bytes of one reply; more and the node counts as `too-large`. */
  maxBytes: number;
  /** Reply bytes the whole scan may buffer at once. */
  budgetBytes: number;
}

/**
 * Defaults. A real `/flux/info` is a few KiB; it lists the node's running
 * app containers at about 1 KiB each, so 64 KiB leaves room for a busy node
 * while a hostile one costs little. 128 MiB / 64 KiB = 2,048 fetches at once:
 * a node that never answers holds its slot for a whole deadline, and with 5%
 * of 13,000 nodes silent, 1,024 slots would leave a scan of about two
 * deadlines no margin. Measured on the realistic bench fleet, 2,048 fetches
 * at once peak at about 170 MB RSS for the whole CLI process.
 */
export const SCAN_DEFAULTS: Readonly<ScanLimits> = {
  concurrency: 2048,
  timeoutMs: 5000,
  maxBytes: 64 * KiB,
  budgetBytes: 128 * MiB,
};

/** A whole number >= 1, or the default: a bad value would otherwise hang or explode the scan. */
function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

/** The limits a scan runs with: each given value if usable, else its default. */
export function scanLimits(options: Partial<ScanLimits>): ScanLimits {
  const budgetBytes = positive(options.budgetBytes, SCAN_DEFAULTS.budgetBytes);
  return {
    concurrency: positive(options.concurrency, SCAN_DEFAULTS.concurrency),
    timeoutMs: positive(options.timeoutMs, SCAN_DEFAULTS.timeoutMs),
    // A budget smaller than one reply caps that reply too: the budget is the bound.
    maxBytes: Math.min(positive(options.maxBytes, SCAN_DEFAULTS.maxBytes), budgetBytes),
    budgetBytes,
  };
}

/** Fetches in flight at once: the concurrency asked for, within the byte budget, and at least one. */
export function fetchSlots(limits: ScanLimits): number {
  return Math.max(1, Math.min(limits.concurrency, Math.floor(limits.budgetBytes / limits.maxBytes)));
}
