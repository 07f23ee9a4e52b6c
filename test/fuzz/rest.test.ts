// Fuzzing REST requests: see rest.ts.
import { test } from 'uvu'
import { register } from './fuzz.ts'
import { properties } from './rest.ts'

register(test, properties)
test.run()
