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
  | { m: "identify"; d: Identity }
  | { m: "token"; d: string }; // the visitor's token from the site's own storage ("" if none)

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
  | { m: "message"; d: MessageEvent_ }
  | { m: "hello" } // the frame asks for the visitor's token before it starts
  | { m: "token"; d: string }; // keep this token in the site's storage ("" to forget it)
