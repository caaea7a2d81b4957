import './operator_avatar.css'
import { useSignal } from '@preact/signals'
import { initials } from '../../state/team_store.js'

/**
 * An operator's picture, or the initials of its name when it set none (or the image does not
 * load: a site-relative avatar resolves on the visitor's site, not on the console's node).
 */
export function OperatorAvatar({ name, url, size = 28 }: { name: string; url?: string; size?: number }) {
  const broken = useSignal<string | undefined>(undefined)
  const style = { width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.4)}px` }
  if (url && broken.value !== url)
    return (
      <img
        class="operator-avatar"
        data-testid="operator-avatar"
        src={url}
        alt=""
        style={style}
        onError={() => (broken.value = url)}
      />
    )
  return (
    <span class="operator-avatar initials" data-testid="operator-avatar" aria-hidden="true" style={style}>
      {initials(name)}
    </span>
  )
}
