// Fuzzing threshold-custody message bodies: see threshold.ts.
import { test } from 'uvu'
import { register } from './fuzz.ts'
import { properties } from './threshold.ts'

register(test, properties)
test.run()
