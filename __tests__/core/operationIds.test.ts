/**
 * The id an operation event names, as the operation channel routes it: a vocabulary's schema may
 * output a number. A safe integer names the operation of its digits; one past 2^53 has lost its
 * digits in JSON.parse already (…789 and …790 both read …800), so it names none rather than
 * landing on an operation it may not be (a helper's probe of 2026-12-06).
 */
import { expect, test } from 'vitest'
import { createOperationChannel, operationProgressChannel, type OperationEvent } from '../../src/core'

const channels = { 'the reference channel': operationProgressChannel, 'a vocabulary’s channel': createOperationChannel({}) }

test.each(Object.entries(channels))('%s: numeric ids route by their digits while they are safe integers', (_name, channel) => {
  const event = (id: unknown) => ({ type: 'operation_progress', operation_id: id }) as unknown as OperationEvent
  const route = channel.route!
  expect(route.event(event(7))).toBe('7')
  expect(route.event(event(-0))).toBe('0')
  expect(route.event(event('op-1'))).toBe('op-1')
  expect(route.event(event(JSON.parse('1234567890123456789')))).toBe('')
  expect(channel.matches!(event(JSON.parse('1234567890123456789')), { operationId: '1234567890123456800' }, { dedicatedSocket: true })).toBe(false)
  expect(channel.matches!(event(7), { operationId: '7' }, { dedicatedSocket: false })).toBe(true)
})
