/** Shapes of the widget API (inboxes/widget_api/api.py). */

import type { Attachment, MessageOut } from "@shared/protocol";

export interface Config {
  name: string;
  greeting: string;
  language: string;
  color: string;
  position: string;
  logo_url: string; // the company's logo on the base host, "" without one
  load_mode: string;
  load_delay_seconds: number;
  rating_scale: "stars" | "nps";
  attachments: { max_mb: number; kinds: string[] };
  offline_title: { ru: string; en: string };
  offline_message: { ru: string; en: string };
}

export interface Availability {
  online: boolean;
  out_of_hours: boolean;
  out_of_hours_message: { ru: string; en: string };
}

export interface Rating {
  scale: string;
  score: number;
  comment: string;
}

export interface Conversation {
  id: number;
  status: string;
  last_seq: number;
  operator_name?: string;
  /** In real-time events, which carry the operators' shape of a conversation. */
  assignee_name?: string;
  rating: Rating | null;
  visitor_delivered_seq: number;
  visitor_read_seq: number;
  operator_delivered_seq: number;
  operator_read_seq: number;
}

export type { Attachment };

/** A message, as the answers and the live events give it (generated from the server's schema). */
export type Message = MessageOut & { conversation?: Partial<Conversation> };

export interface Session {
  token: string;
  contact: { id: number; name: string; email: string };
  conversation: Conversation | null;
  inbox: Config;
  availability: Availability;
}
