// Fuzzing admin socket requests: see admin.ts.
import { test } from 'uvu'
import { register } from './fuzz.ts'
import { properties } from './admin.ts'

register(test, properties)
test.run()
