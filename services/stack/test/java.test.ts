import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseJavaMajor } from '../src/java.ts'

test('reads the major version from the ways JDKs print it', () => {
  assert.equal(parseJavaMajor('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment'), 17)
  assert.equal(parseJavaMajor('openjdk version "25" 2025-09-16\nOpenJDK Runtime Environment Temurin-25+36'), 25)
  assert.equal(parseJavaMajor('openjdk version "21.0.5" 2024-10-15 LTS'), 21)
  assert.equal(parseJavaMajor('java version "1.8.0_392"\nJava(TM) SE Runtime Environment'), 8)
  assert.equal(parseJavaMajor('bash: java: command not found'), undefined)
})
