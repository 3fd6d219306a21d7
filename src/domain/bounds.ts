/**
 * Bounds for the numbers requests carry, shared by every dialect so the OpenAPI documents show them
 * (docs/decisions.md, "Bounds on request numbers").
 */

/** Ids and codes the reference systems keep as 32-bit integers (Java `int`, SQL `INT`): project ids, task types. */
export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;

/** Node's timers hold at most 2^31-1 ms (~24.8 days); a longer one fires at once with a TimeoutOverflowWarning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The last page a list serves: page × page size stays an exact integer any store can skip. */
export const MAX_PAGE = 1_000_000;
/** The largest offset a list takes (`/job?offset=`). */
export const MAX_OFFSET = 100_000_000;

/**
 * A per-call timeout or interval in seconds (SSH connect/read, keepalive, driver_args): a day, the bound of a
 * device job's own `execution_timeout`; as milliseconds still a timer Node can hold.
 */
export const MAX_CALL_TIMEOUT_SECONDS = 86_400;
