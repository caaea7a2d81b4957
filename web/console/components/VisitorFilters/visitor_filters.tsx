import './visitor_filters.css'
import { useSignal } from '@preact/signals'
import { useConsole } from '../../state/console_context.js'
import type { ViewFilter, ViewSort } from '../../../../shared/src/protocol.js'

type TextKey = 'q' | 'url' | 'country' | 'department'
type FlagKey = 'returning' | 'chat' | 'invited'

const TEXTS: Array<{ key: TextKey; label: string; placeholder: string; size: number }> = [
  { key: 'q', label: 'Search', placeholder: 'name, email or id', size: 16 },
  { key: 'url', label: 'Page URL contains', placeholder: '/pricing', size: 12 },
  { key: 'country', label: 'Country', placeholder: 'DE', size: 3 },
  { key: 'department', label: 'Department', placeholder: 'sales', size: 8 },
]
const FLAGS: Array<{ key: FlagKey; label: string; yes: string; no: string }> = [
  { key: 'returning', label: 'Visits', yes: 'returning', no: 'new' },
  { key: 'chat', label: 'Chat', yes: 'in a chat', no: 'not chatting' },
  { key: 'invited', label: 'Invited', yes: 'invited', no: 'not invited' },
]
const SORTS: Array<{ by: ViewSort; label: string }> = [
  { by: 'last_activity', label: 'Last activity' },
  { by: 'time_on_site', label: 'Time on site' },
  { by: 'pages', label: 'Pages' },
]
const COUNTRY = /^[A-Za-z]{2}$/

/** The list's filters and sort, sent to the node as `watch.view` (it filters all visitors, not just the rows shown). */
export function VisitorFilters() {
  const list = useConsole().list
  const texts = useSignal<Record<TextKey, string>>({ q: '', url: '', country: '', department: '' })
  const flags = useSignal<Partial<Record<FlagKey, boolean>>>({})
  const sort = list.sort.value
  const countryBad = texts.value.country !== '' && !COUNTRY.test(texts.value.country)

  const apply = () => {
    const filter: ViewFilter = { ...flags.value }
    for (const { key } of TEXTS) {
      const value = texts.value[key].trim()
      if (value !== '' && (key !== 'country' || COUNTRY.test(value))) filter[key] = value
    }
    list.setFilter(filter)
  }
  return (
    <search aria-label="Filter visitors" class="visitor-filters" data-testid="visitor-filters">
      {TEXTS.map(({ key, label, placeholder, size }) => (
        <label key={key} class="stack">
          {label}
          <input
            type="search"
            data-testid={`filter-${key}`}
            placeholder={placeholder}
            size={size}
            maxLength={key === 'country' ? 2 : 256}
            aria-invalid={key === 'country' && countryBad}
            title={key === 'country' ? 'Two-letter ISO code' : undefined}
            value={texts.value[key]}
            onInput={(e) => {
              texts.value = { ...texts.value, [key]: e.currentTarget.value }
              apply()
            }}
          />
        </label>
      ))}
      {FLAGS.map(({ key, label, yes, no }) => (
        <label key={key} class="stack">
          {label}
          <select
            data-testid={`filter-${key}`}
            value={flags.value[key] === undefined ? '' : String(flags.value[key])}
            onChange={(e) => {
              const { [key]: _old, ...rest } = flags.value
              const value = e.currentTarget.value
              flags.value = value === '' ? rest : { ...rest, [key]: value === 'true' }
              apply()
            }}
          >
            <option value="">any</option>
            <option value="true">{yes}</option>
            <option value="false">{no}</option>
          </select>
        </label>
      ))}
      <div class="sort">
        <label class="stack">
          Sort by
          <select
            data-testid="sort-by"
            value={sort.by}
            onChange={(e) => list.setSort({ ...sort, by: e.currentTarget.value as ViewSort })}
          >
            {SORTS.map((s) => (
              <option key={s.by} value={s.by}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          class="sort-dir"
          data-testid="sort-dir"
          aria-label={sort.dir === 'desc' ? 'Descending; switch to ascending' : 'Ascending; switch to descending'}
          onClick={() => list.setSort({ ...sort, dir: sort.dir === 'desc' ? 'asc' : 'desc' })}
        >
          {sort.dir === 'desc' ? '↓' : '↑'}
        </button>
      </div>
    </search>
  )
}
