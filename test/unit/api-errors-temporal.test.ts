import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { toApiError } from '../../src/api/errors.js';

/** The error the Temporal client throws for a failed call: a ServiceError whose cause is the gRPC status. */
function grpcFailure(code: number, details: string): ServiceError {
  const status = Object.assign(new Error(`${code} ${details}`), { code, details });
  return new ServiceError('Workflow Update failed', { cause: status });
}

describe('toApiError and Temporal client errors', () => {
  it('answers 503 for an Update whose workflow task failed before it was accepted (its worker stopped)', () => {
    // Temporal 1.32's update registry answers WorkflowNotReady (FAILED_PRECONDITION) with this message.
    const e = toApiError(grpcFailure(9, 'Unable to perform workflow execution update due to unexpected workflow task failure.'));
    expect(e.status).toBe(503);
    expect(e.message).toMatch(/try again shortly/);
  });

  it('answers 503 for an engine that is away, slow or busy', () => {
    for (const code of [14, 4, 8]) expect(toApiError(grpcFailure(code, 'x')).status, String(code)).toBe(503);
    expect(toApiError(new WorkflowUpdateRPCTimeoutOrCancelledError('timeout')).status).toBe(503);
  });

  it('keeps any other failed precondition, and an unknown error, a 500 that reveals nothing', () => {
    const other = toApiError(grpcFailure(9, 'Namespace default is not active'));
    expect(other.status).toBe(500);
    expect(other.message).toBe('Internal server error');
    expect(toApiError(new Error('boom')).status).toBe(500);
  });
});
