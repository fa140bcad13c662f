import { metricsAllowed } from './metrics-access';

describe('metricsAllowed', () => {
  it('lets only loopback callers read metrics when no token is set', () => {
    expect(metricsAllowed('', undefined, '127.0.0.1')).toBe(true);
    expect(metricsAllowed('', undefined, '::ffff:127.0.0.1')).toBe(true);
    expect(metricsAllowed('', undefined, '::1')).toBe(true);
    expect(metricsAllowed('', undefined, '10.0.0.7')).toBe(false);
    expect(metricsAllowed('', undefined, '::ffff:192.168.1.2')).toBe(false);
    expect(metricsAllowed('', 'Bearer anything', '203.0.113.9')).toBe(false);
    expect(metricsAllowed('', undefined, undefined)).toBe(false);
  });

  it('asks for the token from everyone once one is set, loopback included', () => {
    const token = 'prom-scrape-0123456789';
    expect(metricsAllowed(token, `Bearer ${token}`, '10.0.0.7')).toBe(true);
    expect(metricsAllowed(token, `bearer ${token}`, '10.0.0.7')).toBe(true);
    expect(metricsAllowed(token, 'Bearer wrong', '10.0.0.7')).toBe(false);
    expect(metricsAllowed(token, undefined, '127.0.0.1')).toBe(false);
    expect(metricsAllowed(token, 'Bearer ', '127.0.0.1')).toBe(false);
  });
});
