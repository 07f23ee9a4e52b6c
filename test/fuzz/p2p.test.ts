// Fuzzing the p2p protocols: see p2p.ts.
import { test } from 'uvu'
import { register } from './fuzz.ts'
import { properties } from './p2p.ts'

register(test, properties)
test.run()
