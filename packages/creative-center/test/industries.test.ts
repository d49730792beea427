import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseJson, readIndustryList } from '../src/index.ts'

const read = (text: string) => Object.fromEntries(readIndustryList(parseJson(text)))

test('the industry list is read by what an industry looks like, wherever the body keeps it', () => {
  // As industry_info spells one, in a legacy envelope.
  assert.deepEqual(
    read(
      '{"code":0,"msg":"OK","data":{"industry_list":[{"id":22000000000,"value":"Apparel & Accessories","label":"label_22000000000"},{"id":"25000000000","value":"Games","label":"label_25000000000"}]}}',
    ),
    { '22000000000': 'Apparel & Accessories', '25000000000': 'Games' },
  )
  // camelCase, nested sub-industries, and names under name.
  assert.deepEqual(
    read(
      '{"BaseResp":{"StatusCode":0},"result":{"industries":[{"industryID":"14000000000","industryName":"Beauty & Personal Care","children":[{"industryId":"14103000000","name":"Skincare"}]}]}}',
    ),
    { '14000000000': 'Beauty & Personal Care', '14103000000': 'Skincare' },
  )
})

test('what only resembles an industry is left out: label-only names, ids of another length, the first name of an id kept', () => {
  assert.deepEqual(
    read(
      '{"data":[{"id":"22000000000","label":"label_22000000000"},{"id":"123","name":"Not an industry"},{"id":7300000000000000000,"value":"A video"},{"id":"27000000000","value":"Food & Beverage"},{"id":"27000000000","value":"Food"}]}',
    ),
    { '27000000000': 'Food & Beverage' },
  )
  assert.deepEqual(read('{"code":0,"data":{}}'), {})
  assert.deepEqual(read('[[[[[[[[[[[[[[[[{"id":"22000000000","value":"Too deep"}]]]]]]]]]]]]]]]]'), {})
})
