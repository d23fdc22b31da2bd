/**
 * Real time: a WebSocket (ping every 25 s, reconnect with jittered backoff), falling back to
 * Server-Sent Events after 3 sockets in a row that never opened (a proxy that blocks them).
 * On every (re)connect `onOpen` runs: the app asks for what it missed after its last seq.
 * A socket the server closed for going over its rate limits (4429) reconnects after a pause.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = { type: string; [key: string]: any };

const SSE_EVENTS = ["message.created", "message.receipts", "typing", "conversation.updated"];
const FAILS_BEFORE_SSE = 3;
const PING_MS = 25000;
const LIMITED_PAUSE_MS = 10000;

export interface LiveOptions {
  socketUrl: () => string;
  sseUrl: () => string;
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

  private openSocket(): void {
    let opened = false;
    const ws = new WebSocket(this.o.socketUrl());
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
        return this.openSse();
      }
      const delay = event.code === 4429 ? LIMITED_PAUSE_MS : Math.min(30000, 500 * 2 ** this.attempt++);
      this.timer = window.setTimeout(() => this.openSocket(), delay * (0.5 + Math.random() / 2));
    });
  }

  private openSse(): void {
    const es = new EventSource(this.o.sseUrl());
    this.es = es;
    es.addEventListener("open", () => this.o.onOpen());
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
