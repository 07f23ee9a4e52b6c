// Fuzzing log entries: see log-entry.ts.
import { test } from 'uvu'
import { register } from './fuzz.ts'
import { properties } from './log-entry.ts'

register(test, properties)
test.run()
