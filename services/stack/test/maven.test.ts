import { test } from 'node:test'
import assert from 'node:assert/strict'
import { downloadedBytes, downloadLine } from '../src/maven.ts'

test("Maven's download lines are read for their size; every other line is not one", () => {
  assert.equal(downloadedBytes('Downloaded from central: https://repository.invalid/a/a-1.jar (1.5 MB at 3.0 MB/s)'), 1_500_000)
  assert.equal(downloadedBytes('Downloaded from central: https://repository.invalid/a/a-1.pom (2.1 kB at 10 kB/s)'), 2100)
  assert.equal(downloadedBytes('Downloaded from mirror-1: https://repository.invalid/a/a-1.sha1 (40 B at 1 kB/s)'), 40)
  assert.equal(downloadedBytes('Downloaded from central: https://repository.invalid/a/a-1.jar (2,5 MB at 1 MB/s)'), 2_500_000)
  // Maven 3.8 and later in batch mode: the level first.
  assert.equal(downloadedBytes('[INFO] Downloaded from central: https://repository.invalid/a/a-1.pom (18 kB at 122 kB/s)'), 18_000)
  assert.equal(downloadedBytes('[WARNING] Downloaded from central: https://repository.invalid/a/a-1.pom (18 kB)'), undefined)
  for (const line of ['Downloading from central: https://repository.invalid/a/a-1.jar', '[INFO] BUILD SUCCESS', '']) {
    assert.equal(downloadedBytes(line), undefined, line)
  }
  assert.equal(downloadLine(1, 40, true), 'Maven: 1 file downloaded (0.0 MB)')
  assert.equal(downloadLine(87, 41_234_567, false), 'Maven: 87 files downloaded (41.2 MB) so far')
})
