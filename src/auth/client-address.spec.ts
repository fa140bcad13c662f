import { clientBucket } from './client-address';

describe('clientBucket', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    [' 198.51.100.7 ', '198.51.100.7'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['::FFFF:198.51.100.7', '198.51.100.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002::9', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::198.51.100.7', '64:ff9b:0:0::/64'],
    ['unknown', 'unknown'],
  ])('counts %s as %s', (address, bucket) => {
    expect(clientBucket(address)).toBe(bucket);
  });

  it('puts every address of one /64 in one bucket, and neighbouring /64s in others', () => {
    expect(clientBucket('2001:db8:a:b::1')).toBe(clientBucket('2001:db8:a:b:ffff:ffff:ffff:ffff'));
    expect(clientBucket('2001:db8:a:b::1')).not.toBe(clientBucket('2001:db8:a:c::1'));
  });

  it('cuts what is not an address to 64 characters', () => {
    expect(clientBucket('x'.repeat(500))).toHaveLength(64);
  });
});
