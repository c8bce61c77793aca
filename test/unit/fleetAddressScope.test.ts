import { expect } from 'chai';
import { addressScope, ipv6Groups, screenAddresses, type AddressScope } from '../../src/fleet/addressScope';

describe('fleet address scope', () => {
  const cases: [string, AddressScope | undefined][] = [
    ['8.8.8.8', 'public'],
    ['1.2.3.4', 'public'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['223.255.255.255', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['203.0.113.7', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:100.64.1.1', 'private'],
    ['::ffff:169.254.1.1', 'link-local'],
    ['::ffff:8.8.8.8', 'public'],
    ['0:0:0:0:0:ffff:192.168.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:808:808::1', 'public'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'],
    ['2a01:4f8::1', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['localhost', undefined],
    ['node.example.com', undefined],
    ['1.2.3.256', undefined],
    ['', undefined],
  ];
  for (const [address, scope] of cases) {
    it(`${JSON.stringify(address)} is ${scope ?? 'not an IP address'}`, () => {
      expect(addressScope(address)).to.equal(scope);
    });
  }

  describe('ipv6Groups', () => {
    const groups: [string, number[] | undefined][] = [
      ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
      ['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
      ['::ffff:1.2.3.4', [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]],
      ['1:2:3:4:5:6:7.8.9.10', [1, 2, 3, 4, 5, 6, 0x0708, 0x090a]],
      ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
      ['a::b', [0xa, 0, 0, 0, 0, 0, 0, 0xb]],
      ['1.2.3.4', undefined],
      ['1:::2', undefined],
    ];
    for (const [text, expected] of groups) {
      it(`reads ${text}`, () => {
        expect(ipv6Groups(text)).to.deep.equal(expected);
      });
    }
  });

  describe('screenAddresses: what a name resolved to', () => {
    it('keeps a name whose addresses are all public, at its first address', () => {
      expect(screenAddresses(['8.8.8.8', '2001:4860:4860::8888'])).to.deep.equal({ ok: true, address: '8.8.8.8' });
    });
    it('drops a name with one inward address among public ones', () => {
      expect(screenAddresses(['8.8.8.8', '10.0.0.1'])).to.deep.equal({ ok: false, scope: 'private' });
    });
    it('drops a name that resolved to nothing, or to something that is not an address', () => {
      expect(screenAddresses([])).to.deep.equal({ ok: false, scope: 'unresolved' });
      expect(screenAddresses(['not-an-ip'])).to.deep.equal({ ok: false, scope: 'unresolved' });
    });
  });
});
