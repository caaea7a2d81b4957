import './rule_builder.css'
import { type Condition, isGroup, isNot, type Leaf, type Path } from '../../campaign/campaign_definition.js'
import { ruleSentence } from '../../campaign/rule_sentence.js'
import { useConsole } from '../../state/console_context.js'
import { ConditionRow } from '../ConditionRow/condition_row.js'
import { FieldError } from '../FieldError/field_error.js'

const newLeaf = (): Leaf => ({ field: 'page.url', op: 'contains', value: '/' })

/** Where a node sits: its parent list and index, for remove and reorder. */
interface Place {
  list: Path
  index: number
  count: number
}

function Tools({ place, onRemove }: { place?: Place; onRemove: () => void }) {
  const studio = useConsole().studio
  const move = (delta: number) => {
    if (!place) return
    const list = [...((studio.get(place.list) as Condition[] | undefined) ?? [])]
    const [item] = list.splice(place.index, 1)
    if (!item) return
    list.splice(place.index + delta, 0, item)
    studio.set(place.list, list)
  }
  return (
    <>
      {place && (
        <>
          <button
            type="button"
            class="icon"
            aria-label="Move up"
            title="Move up"
            data-testid="move-up"
            disabled={place.index === 0}
            onClick={() => move(-1)}
          >
            ↑
          </button>
          <button
            type="button"
            class="icon"
            aria-label="Move down"
            title="Move down"
            data-testid="move-down"
            disabled={place.index === place.count - 1}
            onClick={() => move(1)}
          >
            ↓
          </button>
        </>
      )}
      <button type="button" class="icon" aria-label="Remove" title="Remove" data-testid="remove" onClick={onRemove}>
        ×
      </button>
    </>
  )
}

/** A condition node at a path: a group (all/any), a negation, or a single condition. */
function ConditionNode({ node, path, place }: { node: Condition; path: Path; place?: Place }) {
  const studio = useConsole().studio
  const key = path.join('.')
  const remove = () => {
    if (!place) return studio.set(['when'], undefined)
    const list = (studio.get(place.list) as Condition[]).filter((_, i) => i !== place.index)
    studio.set(place.list, list)
  }
  if (isNot(node)) {
    return (
      <div class="group negated" data-testid="not-group" data-path={key}>
        <div class="group-head">
          <strong>Not</strong>
          <span class="hint">true when the inside is false</span>
          <span class="spacer" />
          <button type="button" data-testid="unwrap-not" onClick={() => studio.set(path, node.not)}>
            Remove “not”
          </button>
          <Tools place={place} onRemove={remove} />
        </div>
        <ConditionNode node={node.not} path={[...path, 'not']} />
        <FieldError path={key} />
      </div>
    )
  }
  if (isGroup(node)) {
    const mode = 'all' in node ? 'all' : 'any'
    const items = 'all' in node ? node.all : node.any
    const listPath = [...path, mode]
    const add = (child: Condition) => studio.set(listPath, [...items, child])
    return (
      <div class={`group mode-${mode}`} data-testid="group" data-mode={mode} data-path={key}>
        <div class="group-head">
          <select
            aria-label="Group match"
            data-testid="group-mode"
            value={mode}
            onChange={(e) => studio.set(path, { [e.currentTarget.value]: items })}
          >
            <option value="all">All of these (and)</option>
            <option value="any">Any of these (or)</option>
          </select>
          <span class="spacer" />
          <button type="button" data-testid="add-condition" onClick={() => add(newLeaf())}>
            + Condition
          </button>
          <button type="button" data-testid="add-group" onClick={() => add({ any: [newLeaf()] })}>
            + Group
          </button>
          <button type="button" data-testid="negate" onClick={() => studio.set(path, { not: node })}>
            Negate
          </button>
          <Tools place={place} onRemove={remove} />
        </div>
        <div class="children">
          {items.map((child, i) => (
            <ConditionNode
              key={i}
              node={child}
              path={[...listPath, i]}
              place={{ list: listPath, index: i, count: items.length }}
            />
          ))}
          {items.length === 0 && <p class="placeholder">An empty group: add a condition or remove the group.</p>}
        </div>
        <FieldError path={key} />
        <FieldError path={listPath.join('.')} />
      </div>
    )
  }
  return (
    <ConditionRow
      leaf={node}
      path={key}
      onChange={(leaf) => studio.set(path, leaf)}
      tools={<Tools place={place} onRemove={remove} />}
    />
  )
}

/** The `when` of a campaign: nested all/any/not groups of conditions, read back as a sentence. */
export function RuleBuilder() {
  const studio = useConsole().studio
  const when = studio.get(['when']) as Condition | undefined
  return (
    <section class="rule-builder" aria-labelledby="rules-title">
      <h3 id="rules-title">When</h3>
      <p class="sentence" data-testid="rule-sentence">
        {ruleSentence(when)}
      </p>
      {when === undefined ? (
        <button type="button" data-testid="add-condition" onClick={() => studio.set(['when'], { all: [newLeaf()] })}>
          + Condition
        </button>
      ) : isGroup(when) || isNot(when) ? (
        <ConditionNode node={when} path={['when']} />
      ) : (
        <div class="group">
          <ConditionNode node={when} path={['when']} />
          <button
            type="button"
            data-testid="add-condition"
            onClick={() => studio.set(['when'], { all: [when, newLeaf()] })}
          >
            + Condition
          </button>
        </div>
      )}
      <FieldError path="when" />
    </section>
  )
}
