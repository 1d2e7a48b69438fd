/// <reference lib="dom" />
/** The page's few DOM helpers: every value from the server is set as text, never as HTML. */
export type Attrs = Record<string, string | undefined>;
export function el(tag: string, attrs: Attrs = {}, ...children: (Node | string | undefined)[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) node.setAttribute(k, v);
  for (const c of children) if (c !== undefined) node.append(c);
  return node;
}
export const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector(selector) as T;
export const time = (ms?: number) => (ms ? new Date(ms).toLocaleTimeString() : "");
