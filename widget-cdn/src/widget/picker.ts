/**
 * The emoji picker: its list is a separate chunk (emoji.<hash>.js), loaded when first opened;
 * arrow keys move through it, and a pick goes in at the cursor.
 */
import { h } from "./dom";
import { SCRIPT_DIR, t } from "./env";
import { autosize, countChars, emojiButton, input, picker } from "./skeleton";

let emojiLoad: Promise<string[][]> | null = null;

function emojiList(): Promise<string[][]> {
  if (!emojiLoad) {
    emojiLoad = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = SCRIPT_DIR + __EMOJI_FILE__;
      script.onload = () => (window.__messengerEmoji ? resolve(window.__messengerEmoji) : reject(new Error("emoji")));
      script.onerror = () => {
        emojiLoad = null;
        reject(new Error("emoji"));
      };
      document.head.appendChild(script);
    });
  }
  return emojiLoad;
}

export async function openPicker(): Promise<void> {
  let groups: string[][];
  try {
    groups = await emojiList();
  } catch (_) {
    return;
  }
  if (!picker.firstChild) {
    groups.forEach((group, index) => {
      const label = t.emoji_groups[index] || "";
      picker.appendChild(h("p", { class: "pg", id: `eg${index}` }, label));
      picker.appendChild(h("div", { class: "grid", role: "group", "aria-labelledby": `eg${index}` },
        ...group.map((emoji) => h("button", { type: "button", class: "em", "aria-label": emoji, onclick: () => insertEmoji(emoji) }, emoji))));
    });
  }
  picker.hidden = false;
  emojiButton.setAttribute("aria-expanded", "true");
  (picker.querySelector(".em") as HTMLElement | null)?.focus();
}

export function closePicker(focus: boolean): void {
  if (picker.hidden) return;
  picker.hidden = true;
  emojiButton.setAttribute("aria-expanded", "false");
  if (focus) emojiButton.focus();
}

function insertEmoji(emoji: string): void {
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  input.value = input.value.slice(0, start) + emoji + input.value.slice(end);
  closePicker(false);
  input.focus();
  input.selectionStart = input.selectionEnd = start + emoji.length;
  autosize();
  countChars();
}

picker.addEventListener("keydown", (event: KeyboardEvent) => {
  const all = Array.from(picker.querySelectorAll<HTMLButtonElement>(".em"));
  const index = all.indexOf(document.activeElement as HTMLButtonElement);
  const step = ({ ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 } as Record<string, number>)[event.key];
  if (index < 0 || !step) return;
  event.preventDefault();
  all[Math.max(0, Math.min(all.length - 1, index + step))].focus();
});
