// Fuzzing identity documents: see identity.ts.
import { test } from 'uvu'
import { register } from './fuzz.ts'
import { properties } from './identity.ts'

register(test, properties)
test.run()
