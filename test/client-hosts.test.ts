// Host names in endpoints: IPv6 literals are bracketed once, whether or not the caller wrote the brackets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostPort, unbracket } from '../src/client/neterr.ts';

test('hostPort brackets IPv6 literals once; unbracket gives socket APIs the bare address', () => {
  assert.equal(hostPort('127.0.0.1', 18080), '127.0.0.1:18080');
  assert.equal(hostPort('localhost', 9993), 'localhost:9993');
  assert.equal(hostPort('::1', 18080), '[::1]:18080');
  assert.equal(hostPort('[::1]', 18080), '[::1]:18080');
  assert.equal(unbracket('[::1]'), '::1');
  assert.equal(unbracket('::1'), '::1');
  assert.equal(unbracket('example.com'), 'example.com');
});
