/** The MongoDB-wire server cannot be reached or did not answer in time: dialects answer 503. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export function isDuplicateKeyError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 11000;
}

const UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'PoolClearedError',
  'MongoPoolClearedError',
]);

export function isUnavailableError(e: unknown): boolean {
  return e instanceof StoreUnavailableError || (e instanceof Error && UNAVAILABLE_NAMES.has(e.name));
}
