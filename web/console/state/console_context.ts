import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import type { ConsoleStore } from './console_store.js'

export const ConsoleContext = createContext<ConsoleStore | undefined>(undefined)

/** The console's store, provided once by <App>. */
export function useConsole(): ConsoleStore {
  const store = useContext(ConsoleContext)
  if (!store) throw new Error('console: component rendered outside <App>')
  return store
}
