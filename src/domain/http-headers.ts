/**
 * Request headers that come from request data (webhook headers, the `http` service's `condition.headers`). A name
 * must be an RFC 9110 token and a value must hold no CR, LF or NUL, so no header can end early and start another
 * (header injection, response splitting); headers that frame the message or pick the connection are ours to set
 * (request smuggling, a Host aimed past the outbound policy's view of the URL).
 */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;
export const RESERVED_HEADERS = ['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-connection'];

/** Why a header is refused, or null when it may be sent. */
export function headerProblem(name: string, value: string): string | null {
  if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not a token (letters, digits and !#$%&'*+.^_\`|~-)`;
  if (RESERVED_HEADERS.includes(name.toLowerCase())) return `header ${name} is set by Switchyard and cannot be given`;
  if (BAD_VALUE.test(value)) return `header ${name} holds a CR, LF or NUL character`;
  if (value.length > 8192) return `header ${name} is longer than 8192 characters`;
  return null;
}

/** The first problem of a set of headers, naming the header. */
export function headersProblem(headers: Record<string, string>): string | null {
  for (const [name, value] of Object.entries(headers)) {
    const problem = headerProblem(name, value);
    if (problem) return problem;
  }
  return null;
}
