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

/**
 * Socket errors the driver lets through unwrapped when the server goes away mid-write (seen here: `This socket
 * has been ended by the other party`, code EPIPE, while FerretDB shut down).
 */
const UNAVAILABLE_SOCKET_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

export function isUnavailableError(e: unknown): boolean {
  if (e instanceof StoreUnavailableError || (e instanceof Error && UNAVAILABLE_NAMES.has(e.name))) return true;
  // FerretDB answers operations it was running when asked to stop with "context canceled".
  if (e instanceof Error && e.name === 'MongoServerError' && /context canceled/.test(e.message)) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && UNAVAILABLE_SOCKET_CODES.has(code);
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
