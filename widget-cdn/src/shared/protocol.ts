/**
 * The one protocol module of the widget, the loader and the operator panel: what the server's
 * live connections say (frame types, close codes), the limits the APIs enforce, and what the
 * loader and the chat frame say to each other with postMessage.
 *
 * Limits, request shapes (from the OpenAPI documents) and the payloads of answers and events
 * (from inboxes/conversations/payload_schemas.py) are generated: `protocol.gen.ts`, written by
 * `manage.py protocol_gen`; tests/api/test_protocol_gen.py fails when it is stale). Close codes
 * mirror inboxes/realtime/consumers.py (tests/api/test_protocol_gen.py checks them too).
 */

import type { AttachmentOut, ReceiptsOut } from "./protocol.gen";

export { BODY_MAX_LENGTH } from "./protocol.gen";
export type * from "./protocol.gen";

/** WebSocket close codes of /ws/panel/ and /ws/widget/. */
export const CLOSE_SESSION_ENDED = 4001; // the user was deactivated or logged out elsewhere
export const CLOSE_UNAUTHORISED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_RATE_LIMITED = 4429; // over the socket's rate limits: reconnect after a pause

/** A frame either way on a live connection: `{type, ...}` (payloads vary by type). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = { type: string; [key: string]: any };

/** Events an EventSource stream (the widget's fallback) carries, one name per frame type. */
export const SSE_EVENTS = ["message.created", "message.receipts", "typing", "conversation.updated"];

/** A file of a message, as both APIs and the live events give it. */
export type Attachment = AttachmentOut;

/** How far each side has the conversation: receipts, as seqs. */
export type ReceiptSeqs = Omit<ReceiptsOut, "conversation_id">;

// What the loader (the site's page) and the chat frame say over postMessage: ./postmessage.ts,
// which the loader imports alone. esbuild's minifier names symbols by the character
// frequencies of every file in a bundle, type-only imports too: importing this whole module
// cost the loader a byte of its 2 KB budget (brotli), which has none to spare.
export type { Identity, MessageEvent_, ToFrame, ToPage } from "./postmessage";
