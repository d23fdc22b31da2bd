/**
 * The visitor's receipts: delivered (and, with the chat open and visible, read) up to the last
 * operator message, over the socket or else by HTTP; each seq is sent once.
 */
import { call } from "./api";
import { live } from "./connection";
import { state } from "./state";

/** Delivered (and, with the chat open and visible, read) up to the last operator message. */
export function receipts(): void {
  const seq = state.theirSeq;
  if (!state.conv || !seq) return;
  const read = state.isOpen && document.visibilityState === "visible" && seq > Math.max(state.sentRead, state.conv.visitor_read_seq) ? seq : 0;
  const delivered = seq > Math.max(state.sentDelivered, state.conv.visitor_delivered_seq) ? seq : 0;
  if (!read && !delivered) return;
  state.sentDelivered = Math.max(state.sentDelivered, seq);
  if (read) state.sentRead = read;
  const body: Record<string, number> = { delivered_seq: seq };
  if (read) body.read_seq = read;
  if (!live.send({ type: "receipts", conversation_id: state.conv.id, ...body })) {
    call("POST", `/conversations/${state.conv.id}/receipts`, body).catch(() => undefined);
  }
}
