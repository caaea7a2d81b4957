/**
 * beckon operator console: the entry of web/dist/console.js (and console.css), loaded by
 * /console/. One store (state/console_store.ts) holds the view's state; components under
 * components/ render it. Preact sets every value as text or attribute, never as markup, so a
 * visitor's page title or message cannot inject HTML.
 */
import './console.css'
import { render } from 'preact'
import { App } from './components/App/app.js'
import { ConsoleStore } from './state/console_store.js'

const store = new ConsoleStore()
const root = document.getElementById('app')
if (!root) throw new Error('console: #app missing from index.html')
render(<App store={store} />, root)
store.start()
