import type { ZodError } from 'zod';

/** One problem with a request, naming the field it is about (`(body)` for the whole body). */
export interface FieldProblem {
  field: string;
  message: string;
}

export function fieldProblemsFromZod(error: ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    message: issue.message,
  }));
}
