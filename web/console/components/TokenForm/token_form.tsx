import './token_form.css'
import { useEffect, useRef } from 'preact/hooks'
import { useConsole } from '../../state/console_context.js'

/** Asks for an operator token when there is none, or the node refused it. */
export function TokenForm() {
  const store = useConsole()
  const input = useRef<HTMLInputElement>(null)
  const prompt = store.tokenPrompt.value
  useEffect(() => {
    if (prompt !== undefined) input.current?.focus()
  }, [prompt])
  if (prompt === undefined) return null
  return (
    <form
      class="token-form card"
      data-testid="token-form"
      onSubmit={(event) => {
        event.preventDefault()
        const token = input.current?.value.trim()
        if (!token || !input.current) return
        input.current.value = ''
        store.useToken(token)
      }}
    >
      <p>{prompt}</p>
      <label class="stack">
        Operator token (JWT)
        <input ref={input} data-testid="token-input" type="password" autocomplete="off" spellcheck={false} required />
      </label>
      <button type="submit" class="primary" data-testid="token-submit">
        Connect
      </button>
    </form>
  )
}
