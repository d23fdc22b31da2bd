// Constants the build (scripts/build.mjs) puts in with esbuild's `define`.
declare const __LOADER_CSS__: string;
declare const __WIDGET_CSS__: string;
/** The emoji chunk's built (hashed) file name, next to widget.<hash>.js. */
declare const __EMOJI_FILE__: string;
/** The picker's emoji, in groups (scripts/emoji.mjs). */
declare const __EMOJI__: string[][];

interface Window {
  Messenger?: unknown;
  /** Set by the emoji chunk when it loads. */
  __messengerEmoji?: string[][];
}
