import type { EmbedChoice } from './site_settings_store.js'

export const ACCENT = /^#[0-9a-fA-F]{6}$/
export const WIDGET_ID = /^[A-Za-z0-9_-]{1,64}$/

const attr = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * The HTML a site pastes before `</body>`: the queue stub (calls made before the widget loads
 * are replayed), the widget script with the chosen `data-*` options (web/widget/embed.ts), and
 * the accent colour as the `--beckon-accent` custom property the widget's styles read.
 * Options that are empty or invalid are left out.
 */
export function embedSnippet(site: string, choice: EmbedChoice): string {
  const attrs = [
    `async src="${attr(`${choice.node.replace(/\/+$/, '')}/dist/widget.js`)}"`,
    `data-site="${attr(site)}"`,
  ]
  if (WIDGET_ID.test(choice.widget)) attrs.push(`data-widget="${attr(choice.widget)}"`)
  if (choice.department) attrs.push(`data-department="${attr(choice.department)}"`)
  const lines = [
    '<script>window.beckon=window.beckon||function(){(beckon.q=beckon.q||[]).push(arguments)}</script>',
    `<script ${attrs.join(' ')}></script>`,
  ]
  if (ACCENT.test(choice.accent))
    lines.push(`<style>beckon-widget{--beckon-accent:${choice.accent.toLowerCase()}}</style>`)
  return lines.join('\n')
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

/** WCAG contrast ratio of white text (launcher icon, header, the visitor's bubbles) on `hex`. */
export function contrastWithWhite(hex: string): number {
  return 1.05 / (luminance(hex) + 0.05)
}
