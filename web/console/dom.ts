/** Attributes an element may get from el(); `dataset` keys become data-* attributes. */
export interface ElementOptions {
  className?: string
  text?: string
  title?: string
  testid?: string
  dataset?: Record<string, string>
  attrs?: Record<string, string>
}

/**
 * Creates an element. Data only ever enters the page through `text` (textContent) or
 * attributes, never as markup, so a visitor's page title or message cannot inject HTML.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  children: Array<Node | string> = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (options.className) node.className = options.className
  if (options.text !== undefined) node.textContent = options.text
  if (options.title !== undefined) node.title = options.title
  if (options.testid) node.dataset.testid = options.testid
  for (const [key, value] of Object.entries(options.dataset ?? {})) node.dataset[key] = value
  for (const [key, value] of Object.entries(options.attrs ?? {})) node.setAttribute(key, value)
  node.append(...children)
  return node
}

/** The element with this id; throws when index.html lacks it (a build mistake, not a runtime state). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id)
  if (!node) throw new Error(`console: #${id} missing from index.html`)
  return node as T
}
