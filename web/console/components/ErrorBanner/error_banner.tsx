import './error_banner.css'
import { useConsole } from '../../state/console_context.js'

/** The last error frame from the node, for a few seconds. */
export function ErrorBanner() {
  const error = useConsole().error.value
  if (!error) return null
  return (
    <div class="error" data-testid="error" role="alert">
      {`${error.ref ? `${error.ref}: ` : ''}${error.message} (${error.code})`}
    </div>
  )
}
