/** What panel_base.html tells the panel script: the user (data attributes of its <script>)
 * and the translated strings (the `panel-i18n` JSON block). */

import type { Me } from "../types";

const script = document.currentScript as HTMLScriptElement | null;
export const data: DOMStringMap = script ? script.dataset : {};

export const T: Record<string, string> = (() => {
  try {
    return JSON.parse(document.getElementById("panel-i18n")!.textContent || "");
  } catch {
    return {};
  }
})();

export const STATUSES = ["online", "away", "busy", "offline"];

export const me: Me = {
  id: Number(data.userId || 0),
  name: data.userName || "",
  staff: data.staff === "1",
  muted: data.muted === "1",
  soundWhenVisible: data.soundVisible === "1",
  status: "offline",
};

/** Whether this user still sees the conversation (operators: theirs and unassigned). */
export function visibleToMe(row: { assignee_id?: number | null }): boolean {
  const assignee = row.assignee_id ?? null;
  return me.staff || assignee === null || assignee === me.id;
}
