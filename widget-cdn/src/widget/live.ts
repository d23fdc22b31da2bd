/**
 * Real time: a WebSocket (ping every 25 s, reconnect with jittered backoff), falling back to
 * Server-Sent Events after 3 sockets in a row that never opened (a proxy that blocks them).
 * On every (re)connect `onOpen` runs: the app asks for what it missed after its last seq.
 * Each connection asks the app for its URL first: it carries a one-time ticket, never the
 * visitor's token, so the stream reconnects itself (an EventSource's retry would reuse it).
 * A socket the server closed for going over its rate limits (4429) reconnects after a pause.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = { type: string; [key: string]: any };

const SSE_EVENTS = ["message.created", "message.receipts", "typing", "conversation.updated"];
const FAILS_BEFORE_SSE = 3;
const PING_MS = 25000;
const LIMITED_PAUSE_MS = 10000;

export interface LiveOptions {
  /** Resolves to the URL of a new connection; rejects with `{status}` (401/403: denied). */
  socketUrl: () => Promise<string>;
  sseUrl: () => Promise<string>;
  onFrame: (frame: Frame) => void;
  onOpen: () => void;
  onDenied: () => void;
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

  /** Send a frame over the open socket; false when there is none (use HTTP then). */
  send(frame: Frame): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
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
      if (status === 401 || status === 403) this.o.onDenied();
      else this.later(retry);
      return null;
    }
  }

  /** Try again after a jittered backoff, or after `pause` ms when the server asked for one. */
  private later(retry: () => void, pause = 0): void {
    const delay = pause || Math.min(30000, 500 * 2 ** this.attempt++);
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
      this.ping = window.setInterval(() => this.send({ type: "ping" }), PING_MS);
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
      if (event.code === 4401 || event.code === 4403) return this.o.onDenied();
      if (!opened && ++this.fails >= FAILS_BEFORE_SSE) {
        this.sse = true;
        return void this.openSse();
      }
      this.later(() => this.openSocket(), event.code === 4429 ? LIMITED_PAUSE_MS : 0);
    });
  }

  private async openSse(): Promise<void> {
    const url = await this.url(this.o.sseUrl, () => this.openSse());
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
