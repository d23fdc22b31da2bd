/** The panel API over fetch: JSON in and out, the CSRF token from its cookie. */

import type { ApiError } from "../types";

function cookie(name: string): string {
  const found = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

async function answer<T>(response: Response): Promise<T> {
  const parsed = await response.json().catch(() => null);
  if (!response.ok) {
    const error: ApiError = { status: response.status, body: parsed };
    throw error;
  }
  return parsed as T;
}

/** JSON request to the panel API; resolves to the parsed body, rejects with an ApiError. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = cookie("csrftoken");
  }
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer<T>(response);
}

/** A file to an upload endpoint (multipart, field `file`); same contract as `api`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function upload<T = any>(path: string, file: Blob, filename?: string): Promise<T> {
  const form = new FormData();
  form.append("file", file, filename || (file as File).name || "file");
  const response = await fetch(`/api/v1${path}`, {
    method: "POST",
    headers: { Accept: "application/json", "X-CSRFToken": cookie("csrftoken") },
    credentials: "same-origin",
    body: form,
  });
  return answer<T>(response);
}
