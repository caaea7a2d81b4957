/** Where the widget was embedded from: `<script src="https://NODE/dist/widget.js" data-site="SITE">`. */
export interface EmbedOptions {
  site: string
  /** Origin of the beckon node: the script's own unless `data-node` overrides it. */
  node: string
  /** `data-department`, sent as `context.department`. */
  department?: string
  /** `data-widget`, sent as `hello.widget`: campaigns may target it (`widget.id`). */
  widget?: string
}

/** Reads the embedding script tag; undefined (with a console hint) when it is unusable. */
export function readEmbed(script: HTMLOrSVGScriptElement | null): EmbedOptions | undefined {
  const tag =
    script instanceof HTMLScriptElement && script.dataset.site
      ? script
      : document.querySelector<HTMLScriptElement>('script[data-site][src*="widget.js"]')
  const site = tag?.dataset.site
  if (!tag || !site) {
    console.error('beckon: add data-site="SITE" to the widget script tag')
    return undefined
  }
  let node: string
  try {
    node = new URL(tag.dataset.node || tag.src, location.href).origin
  } catch {
    console.error('beckon: data-node must be a URL such as https://chat.example.com')
    return undefined
  }
  const options: EmbedOptions = { site, node }
  if (tag.dataset.department) options.department = tag.dataset.department
  if (tag.dataset.widget) options.widget = tag.dataset.widget.slice(0, 64)
  return options
}
