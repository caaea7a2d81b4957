import './campaign_basics.css'
import { type CampaignDefinition, type Condition, MAX_TAGS } from '../../campaign/campaign_definition.js'
import { targetedWidgets, withWidgets } from '../../campaign/widget_targeting.js'
import { useConsole } from '../../state/console_context.js'
import { FieldError, useInvalid } from '../FieldError/field_error.js'
import { ListInput } from '../ListInput/list_input.js'
import { SecondsInput } from '../SecondsInput/seconds_input.js'

type Choice<K extends keyof CampaignDefinition> = Array<[NonNullable<CampaignDefinition[K]>, string]>

const AUDIENCE: Choice<'audience'> = [
  ['all', 'Everyone'],
  ['visitors', 'Anonymous visitors only'],
  ['users', 'Logged-in users only'],
]
const TEAM: Choice<'team'> = [
  ['any', 'Whether or not an operator is online'],
  ['online', 'Only while an operator is online'],
  ['offline', 'Only while no operator is online'],
]
const FREQUENCY: Choice<'frequency'> = [
  ['once_per_visit', 'Once per visit'],
  ['once_per_visitor', 'Once per visitor, ever'],
  ['every_time', 'Every time the conditions become true'],
]

function Select<K extends 'audience' | 'team' | 'frequency'>({
  name,
  label,
  choices,
  fallback,
}: {
  name: K
  label: string
  choices: Choice<K>
  fallback: string
}) {
  const studio = useConsole().studio
  return (
    <label class="stack">
      {label}
      <select
        data-testid={`campaign-${name}`}
        value={String(studio.get([name]) ?? fallback)}
        {...useInvalid(name)}
        onChange={(e) => studio.set([name], e.currentTarget.value)}
      >
        {choices.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
      <FieldError path={name} />
    </label>
  )
}

/** Name, id, on/off, priority, who and when (audience, team, frequency, cooldown), widgets and tags. */
export function CampaignBasics() {
  const studio = useConsole().studio
  const isNew = studio.isNew.value
  const when = studio.get(['when']) as Condition | undefined
  const tags = (studio.get(['tags']) as string[] | undefined) ?? []
  return (
    <section class="campaign-basics" aria-label="Campaign settings">
      <div class="basics-grid">
        <label class="stack wide">
          Name
          <input
            type="text"
            data-testid="campaign-name"
            value={String(studio.get(['name']) ?? '')}
            {...useInvalid('name')}
            onInput={(e) => studio.set(['name'], e.currentTarget.value)}
          />
          <FieldError path="name" />
        </label>
        <label class="stack">
          Id
          <input
            type="text"
            data-testid="campaign-id"
            value={String(studio.get(['id']) ?? '')}
            readOnly={!isNew}
            title={isNew ? 'lowercase letters, digits, - and _' : 'The id of a saved campaign cannot change'}
            {...useInvalid('id')}
            onInput={(e) => studio.set(['id'], e.currentTarget.value.trim())}
          />
          <FieldError path="id" />
        </label>
        <label class="check enabled">
          <input
            type="checkbox"
            data-testid="campaign-enabled"
            checked={studio.get(['enabled']) !== false}
            onChange={(e) => studio.set(['enabled'], e.currentTarget.checked)}
          />
          Enabled
        </label>
        <label class="stack">
          Priority
          <input
            type="number"
            step={1}
            data-testid="campaign-priority"
            value={String(studio.get(['priority']) ?? 0)}
            {...useInvalid('priority')}
            onInput={(e) => studio.set(['priority'], Number(e.currentTarget.value))}
          />
          <span class="hint">higher goes first when several are ready</span>
          <FieldError path="priority" />
        </label>
        <Select name="audience" label="Audience" choices={AUDIENCE} fallback="all" />
        <Select name="team" label="Team" choices={TEAM} fallback="any" />
        <Select name="frequency" label="Frequency" choices={FREQUENCY} fallback="once_per_visit" />
        <div class="stack">
          <span>Cooldown</span>
          <SecondsInput
            value={studio.get(['cooldownSeconds']) as number | undefined}
            onChange={(s) => studio.set(['cooldownSeconds'], s ?? 0)}
            path="cooldownSeconds"
            label="Cooldown"
            testid="campaign-cooldown"
          />
          <span class="hint">quiet time after it fired, per visitor</span>
          <FieldError path="cooldownSeconds" />
        </div>
        <div class="stack">
          <span>Widgets</span>
          <ListInput
            values={targetedWidgets(when)}
            onChange={(ids) => studio.set(['when'], withWidgets(when, ids))}
            path="widgets"
            label="Widget ids"
            testid="campaign-widgets"
          />
          <span class="hint">data-widget of the embed; empty = every widget</span>
        </div>
        <div class="stack">
          <span>Tags</span>
          <ListInput
            values={tags}
            onChange={(list) => studio.set(['tags'], list.length > 0 ? list.slice(0, MAX_TAGS) : undefined)}
            path="tags"
            label="Tags"
            testid="campaign-tags"
          />
          <span class="hint">put on the conversations it starts (up to {MAX_TAGS})</span>
          <FieldError path="tags" within />
        </div>
      </div>
    </section>
  )
}
