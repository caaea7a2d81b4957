import './field_error.css'
import { useConsole } from '../../state/console_context.js'

/**
 * The node's validation message when its `path` names this field (e.g. `when.all.1.value`);
 * with `within`, also for paths inside it (a list's items: `when.all.1.value.2`).
 */
export function FieldError({ path, within = false }: { path: string; within?: boolean }) {
  const error = useConsole().studio.error.value
  if (!error || !(error.path === path || (within && error.path.startsWith(`${path}.`)))) return null
  return (
    <span class="field-error" role="alert" data-testid="field-error" data-error-path={path}>
      {error.message}
    </span>
  )
}

/** Attributes that mark an input as the one the error names, so it is styled and can be found. */
export function useInvalid(path: string): { 'data-path': string; 'aria-invalid'?: 'true' } {
  const error = useConsole().studio.error.value
  return error?.path === path ? { 'data-path': path, 'aria-invalid': 'true' } : { 'data-path': path }
}
