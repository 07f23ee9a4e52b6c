// Fuzzing envelopes: see envelope.ts.
import { test } from 'uvu'
import { register } from './fuzz.ts'
import { properties } from './envelope.ts'

register(test, properties)
test.run()
