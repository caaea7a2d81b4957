import './field_error.css'
import type { ReadonlySignal } from '@preact/signals'
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import { useConsole } from '../../state/console_context.js'
import type { FieldError as NodeFieldError } from '../../state/studio_store.js'

/** The validation error of the form around: a view's own store provides it; the studio's by default. */
export const FieldErrorContext = createContext<ReadonlySignal<NodeFieldError | undefined> | undefined>(undefined)

function useFieldError(): NodeFieldError | undefined {
  const own = useContext(FieldErrorContext)
  const studio = useConsole().studio.error
  return (own ?? studio).value
}

/**
 * The node's validation message when its `path` names this field (e.g. `when.all.1.value`);
 * with `within`, also for paths inside it (a list's items: `when.all.1.value.2`).
 */
export function FieldError({ path, within = false }: { path: string; within?: boolean }) {
  const error = useFieldError()
  if (!error || !(error.path === path || (within && error.path.startsWith(`${path}.`)))) return null
  return (
    <span class="field-error" role="alert" data-testid="field-error" data-error-path={path}>
      {error.message}
    </span>
  )
}

/** Attributes that mark an input as the one the error names, so it is styled and can be found. */
export function useInvalid(path: string): { 'data-path': string; 'aria-invalid'?: 'true' } {
  const error = useFieldError()
  return error?.path === path ? { 'data-path': path, 'aria-invalid': 'true' } : { 'data-path': path }
}
