/** The widget API over fetch. Every request names the site the frame is embedded in
 * (X-Widget-Site: the server checks it against the inbox's allowlist, since the frame's own
 * origin is the Messenger host), the language the widget runs in (X-Widget-Lang: the server
 * answers, errors included, in it and not in the browser's) and, once there is a session, the
 * visitor token. */

export class ApiError extends Error {
  /** `retryAfter`: seconds to wait, from a 429's Retry-After header (0 when absent). */
  constructor(public status: number, public detail: unknown, public retryAfter = 0) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
  }
}

export const auth = { token: "", site: "", lang: "", onExpired: (): void => undefined };

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (auth.site) headers["X-Widget-Site"] = auth.site;
  if (auth.lang) headers["X-Widget-Lang"] = auth.lang;
  if (auth.token) headers.Authorization = `Bearer ${auth.token}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(`/widget/v1${path}`, { method, headers, body: payload, credentials: "omit" });
  } catch (_) {
    throw new ApiError(0, "");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && auth.token) auth.onExpired();
    throw new ApiError(response.status, data && data.detail, Number(response.headers.get("Retry-After")) || 0);
  }
  return data as T;
}

/** One line from an error's detail ("text" or {field: ["text", …]}), or "". */
export function detailText(error: unknown): string {
  const detail = error instanceof ApiError ? error.detail : null;
  if (typeof detail === "string") return detail;
  if (detail && typeof detail === "object") {
    const values = Object.values(detail as Record<string, unknown>);
    const first = values.length ? values[0] : null;
    if (Array.isArray(first) && typeof first[0] === "string") return first[0];
    if (Array.isArray(first) && first[0] && typeof first[0].msg === "string") return first[0].msg;
  }
  return "";
}

/** Field → first message, for forms (422 {detail: {field: [msg]}}). */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const detail = error instanceof ApiError ? error.detail : null;
  if (detail && typeof detail === "object" && !Array.isArray(detail)) {
    for (const [field, messages] of Object.entries(detail as Record<string, unknown>)) {
      if (Array.isArray(messages) && typeof messages[0] === "string") out[field] = messages[0];
    }
  }
  return out;
}

export function uuid(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const x = Array.from(b, (n) => (n + 256).toString(16).slice(1)).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
