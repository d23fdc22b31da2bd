/**
 * The one live-connection client of the widget and the operator panel: a WebSocket (ping
 * every 25 s, reconnect with jittered exponential backoff), optionally falling back to
 * Server-Sent Events after 3 sockets in a row that never opened (a proxy that blocks them).
 * On every (re)connect `onOpen` runs: the app asks for what it missed after its last seq
 * (a `resume` frame, or HTTP). Each connection asks the app for its URL first: the widget's
 * carries a one-time ticket, never the visitor's token, so the stream reconnects itself (an
 * EventSource's retry would reuse a spent ticket); the panel's is authenticated by its cookie.
 * A socket the server closed for going over its rate limits (4429) reconnects after a pause;
 * the `stopCodes` (default 4401, 4403) mean "denied": `onDenied` runs and nothing reconnects.
 */

import { CLOSE_FORBIDDEN, CLOSE_RATE_LIMITED, CLOSE_UNAUTHORISED, SSE_EVENTS, type Frame } from "./protocol";

const FAILS_BEFORE_SSE = 3;
const PING_MS = 25000; // the server closes sockets idle for 70 s
const LIMITED_PAUSE_MS = 10 * 1000;
const BACKOFF_MAX_MS = 30000;

export interface LiveOptions {
  /** Resolves to the URL of a new connection; rejects with `{status}` (401/403: denied). */
  socketUrl: () => Promise<string>;
  /** The event stream's URL; without it there is no fallback (sockets are retried forever). */
  sseUrl?: () => Promise<string>;
  onFrame: (frame: Frame) => void;
  onOpen: () => void;
  /** The server refused this client for good (`code`: the close code, or an HTTP status). */
  onDenied: (code: number) => void;
  /** Runs when an open socket closes, before any reconnect. */
  onClose?: (code: number) => void;
  /** Close codes after which reconnecting would fail forever (default 4401, 4403). */
  stopCodes?: number[];
  /** The first reconnect's delay before jitter, in ms (doubled each time, at most 30 s). */
  backoffMs?: number;
}

export class Live {
  private ws: WebSocket | null = null;
  private es: EventSource | null = null;
  private fails = 0;
  private attempt = 0;
  private timer = 0;
  private ping = 0;
  private running = false;
  /** True once the socket has given up for SSE (kept for this page's life). */
  sse = false;

  constructor(private o: LiveOptions) {}

  start(): void {
    this.stop();
    this.running = true;
    if (this.sse) this.openSse();
    else this.openSocket();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    clearInterval(this.ping);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
    if (this.es) this.es.close();
    this.es = null;
  }

  /** Whether a socket is open (frames can be sent). */
  get connected(): boolean {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a frame over the open socket; false when there is none (use HTTP then). */
  send(frame: Frame): boolean {
    if (!this.connected) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }

  /** The URL of the next connection, or null after handling a failure to get one. */
  private async url(make: () => Promise<string>, retry: () => void): Promise<string | null> {
    try {
      const url = await make();
      return this.running ? url : null;
    } catch (e) {
      if (!this.running) return null;
      const status = (e as { status?: number }).status;
      if (status === 401 || status === 403) this.o.onDenied(status);
      else this.later(retry);
      return null;
    }
  }

  /** Try again after a jittered backoff (a restarted server is not hit by every client at
   * once), or after `pause` ms when the server asked for one. */
  private later(retry: () => void, pause = 0): void {
    const delay = pause || Math.min(BACKOFF_MAX_MS, (this.o.backoffMs || 500) * 2 ** this.attempt++);
    this.timer = window.setTimeout(retry, delay * (0.5 + Math.random() / 2));
  }

  private async openSocket(): Promise<void> {
    let opened = false;
    const url = await this.url(this.o.socketUrl, () => this.openSocket());
    if (url === null || this.ws) return;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      opened = true;
      this.fails = 0;
      this.attempt = 0;
      clearInterval(this.ping);
      this.ping = window.setInterval(() => this.send({ type: "ping", t: Date.now() }), PING_MS);
      this.o.onOpen();
    });
    ws.addEventListener("message", (event) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(event.data));
      } catch (_) {
        return;
      }
      if (frame && typeof frame.type === "string") this.o.onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      clearInterval(this.ping);
      if (this.ws !== ws || !this.running) return;
      this.ws = null;
      if (this.o.onClose) this.o.onClose(event.code);
      if ((this.o.stopCodes || [CLOSE_UNAUTHORISED, CLOSE_FORBIDDEN]).indexOf(event.code) >= 0) {
        this.running = false;
        return this.o.onDenied(event.code);
      }
      if (!opened && this.o.sseUrl && ++this.fails >= FAILS_BEFORE_SSE) {
        this.sse = true;
        return void this.openSse();
      }
      this.later(() => this.openSocket(), event.code === CLOSE_RATE_LIMITED ? LIMITED_PAUSE_MS : 0);
    });
  }

  private async openSse(): Promise<void> {
    const make = this.o.sseUrl;
    const url = make ? await this.url(make, () => this.openSse()) : null;
    if (url === null || this.es) return;
    const es = new EventSource(url);
    this.es = es;
    es.addEventListener("open", () => {
      this.attempt = 0;
      this.o.onOpen();
    });
    // The ticket is spent: reconnect with a new one instead of the browser's own retry.
    es.addEventListener("error", () => {
      if (this.es !== es) return;
      es.close();
      this.es = null;
      if (this.running) this.later(() => this.openSse());
    });
    for (const type of SSE_EVENTS) {
      es.addEventListener(type, (event) => {
        try {
          this.o.onFrame({ type, payload: JSON.parse((event as MessageEvent).data) });
        } catch (_) {
          /* a malformed event is skipped */
        }
      });
    }
  }
}
