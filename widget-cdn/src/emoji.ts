/** The emoji picker's list: a chunk of its own (emoji.<hash>.js), loaded when the picker is
 * first opened. The list comes from scripts/emoji.mjs at build time. */
window.__messengerEmoji = __EMOJI__;
