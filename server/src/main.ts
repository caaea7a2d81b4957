import { exitOnFailure, runNode } from './run_node.js'

runNode().catch(exitOnFailure)
