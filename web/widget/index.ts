/**
 * Entry of web/dist/widget.js. Embed:
 *   <script>window.beckon=window.beckon||function(){(beckon.q=beckon.q||[]).push(arguments)}</script>
 *   <script async src="https://NODE/dist/widget.js" data-site="SITE"></script>
 * Optional attributes: data-department, data-node (the node's URL when not the script's origin).
 */
import { BeckonWidget } from './beckon_widget.js'
import { readEmbed } from './embed.js'
import { installApi } from './public_api.js'

const existing = window.beckon
// A second copy of the script on the page must not open a second socket.
if (!(existing && 'loaded' in existing)) {
  const options = readEmbed(document.currentScript)
  if (options) {
    const widget = new BeckonWidget(options)
    installApi(widget)
    widget.start()
  }
}
