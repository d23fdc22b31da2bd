/** What the loader (on the site's page) and the chat frame (on the Messenger host) say to each
 * other with postMessage. Each side checks the other's origin and window before listening. */

export interface Identity {
  name?: string;
  email?: string;
  userId?: string;
  userHash?: string;
}

/** The site's page → the frame. */
export type ToFrame =
  | { m: "open" }
  | { m: "close" }
  | { m: "identify"; d: Identity };

/** A message the visitor received, as the loader's "message" event gives it to the site. */
export interface MessageEvent_ {
  id: number;
  body: string;
  sender_type: string;
  sender_name: string;
  created_at: string | null;
}

/** The frame → the site's page. */
export type ToPage =
  | { m: "ready" }
  | { m: "close" }
  | { m: "message"; d: MessageEvent_ };
