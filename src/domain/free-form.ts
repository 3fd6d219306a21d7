import { z } from 'zod';

/**
 * Free-form JSON from requests (`condition`, `metadata`, `context`, a GPU `payload` object, …): any keys and values,
 * stored losslessly (src/store/free-form.ts), within bounds every store and Temporal can carry. The request body's
 * own nesting is bounded before parsing (`MAX_JSON_DEPTH`, src/api/body-guard.ts); its size here, so a raised
 * `API_BODY_LIMIT_BYTES` can never let one field exceed a MongoDB document (16 MiB) or a Temporal payload (2 MiB,
 * warned at 512 KiB).
 */
export const FREE_FORM_MAX_BYTES = 512 * 1024;
/** Nesting inside one free-form value; the body guard's 64 levels cover the request around it. */
export const FREE_FORM_MAX_DEPTH = 32;

/** How deeply a parsed JSON value nests (a scalar is 0). Iterative, so a value from any source costs no stack. */
export function jsonValueDepth(value: unknown): number {
  let max = 0;
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (depth > FREE_FORM_MAX_DEPTH) return depth;
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push({ v: x, d: depth });
  }
  return max;
}

/** The problem with a free-form value, or null when it fits. */
export function freeFormProblem(value: unknown): string | null {
  if (jsonValueDepth(value) > FREE_FORM_MAX_DEPTH) return `nests deeper than ${FREE_FORM_MAX_DEPTH} levels`;
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (bytes > FREE_FORM_MAX_BYTES) return `is ${bytes} bytes as JSON, more than ${FREE_FORM_MAX_BYTES}`;
  return null;
}

const BOUNDS = `Any JSON keys and values (stored as sent); at most ${FREE_FORM_MAX_BYTES} bytes as JSON and ${FREE_FORM_MAX_DEPTH} levels deep.`;

/** Adds the free-form bounds to a schema; a value beyond them is an issue at the field's own path. */
export function boundedFreeForm<T extends z.ZodType>(schema: T, description?: string): T {
  return schema
    .superRefine((value, ctx) => {
      const problem = freeFormProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(description ? `${description}. ${BOUNDS}` : BOUNDS) as unknown as T;
}

/** A free-form JSON object (`z.record(z.string(), z.unknown())`) within the bounds. */
export function freeFormObject(description?: string) {
  return boundedFreeForm(z.record(z.string(), z.unknown()), description);
}
