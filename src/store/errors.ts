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
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
]);

export function isUnavailableError(e: unknown): boolean {
  return e instanceof StoreUnavailableError || (e instanceof Error && UNAVAILABLE_NAMES.has(e.name));
}

/**
 * The server refused the document itself (not the connection): a field name MongoDB forbids (`$…`, `.`), or a
 * value FerretDB cannot store (nested arrays). The client sent it, so it is a client error.
 */
export function isInvalidDocumentError(e: unknown): boolean {
  if (!(e instanceof Error) || e.name !== 'MongoServerError') return false;
  const code = (e as { code?: unknown }).code;
  return code === 2 || code === 52 || code === 55 || code === 56 || code === 57 || /nested arrays are not supported|invalid value|invalid key/i.test(e.message);
}
