// Fuzzing custody message bodies: see custody.ts.
import { test } from 'uvu'
import { register } from './fuzz.ts'
import { properties } from './custody.ts'

register(test, properties)
test.run()
