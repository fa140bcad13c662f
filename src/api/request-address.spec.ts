import type { IncomingMessage } from 'node:http';
import { requestClientAddress } from './request-address';

const request = (remoteAddress: string | undefined, forwardedFor?: string | string[]) =>
  ({
    socket: { remoteAddress },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe('requestClientAddress', () => {
  it.each([
    ['a direct client', request('198.51.100.7'), '198.51.100.7'],
    ['a direct client naming someone else', request('198.51.100.7', '203.0.113.9'), '198.51.100.7'],
    ['a local proxy', request('127.0.0.1', '203.0.113.9'), '203.0.113.9'],
    ['a local IPv6 proxy', request('::1', '2001:db8::1'), '2001:db8::1'],
    [
      'a local proxy behind a local proxy',
      request('::ffff:127.0.0.1', '203.0.113.9, 127.0.0.1'),
      '203.0.113.9',
    ],
    ['a client that forged a hop', request('127.0.0.1', '10.0.0.1, 203.0.113.9'), '203.0.113.9'],
    ['two headers', request('127.0.0.1', ['10.0.0.1', '203.0.113.9']), '203.0.113.9'],
    ['a local client', request('127.0.0.1'), '127.0.0.1'],
    ['garbage in the header', request('127.0.0.1', 'not an address'), '127.0.0.1'],
    ['no socket address', request(undefined), 'unknown'],
  ])('reads %s', (_label, incoming, expected) => {
    expect(requestClientAddress(incoming)).toBe(expected);
  });
});
