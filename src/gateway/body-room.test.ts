import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { BodyRoom } from './body-room.js';

describe('BodyRoom', () => {
  it('gives one client address at most a quarter of the room, while another still gets in', () => {
    const room = new BodyRoom(1000);
    expect(room.share).toBe(250);
    const first = room.hold('198.51.100.7');
    first.take(200);
    const second = room.hold('198.51.100.7');
    const refused = second.tryTake(100);
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ code: 'gateway_busy', status: 503, headers: { 'retry-after': '1' } });
    expect(refused?.message).toContain('from this client address');
    expect(refused?.message).toContain('server.unverified_bodies_mb');
    expect(room.heldBy('198.51.100.7')).toBe(200);
    expect(room.hold('203.0.113.9').tryTake(250)).toBeUndefined();
    expect(room.held).toBe(450);
    first.release();
    expect(second.tryTake(250)).toBeUndefined();
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped one as its IPv4', () => {
    const room = new BodyRoom(1000);
    room.hold('2001:db8:1:2::1').take(200);
    expect(() => room.hold('2001:db8:1:2::ffff').take(100)).toThrow(GatewayError);
    room.hold('::ffff:198.51.100.7').take(200);
    expect(room.heldBy('198.51.100.7')).toBe(200);
  });

  it('lets one address take a whole body of the largest size, and refuses the room when it is full', () => {
    const room = new BodyRoom(1000, 400);
    expect(room.share).toBe(400);
    for (const a of ['192.0.2.1', '192.0.2.2']) room.hold(a).take(400);
    const full = room.hold('192.0.2.3').tryTake(300);
    expect(full?.message).toContain('as it takes at once');
    expect(new BodyRoom(100, 400).share).toBe(100);
  });

  it('gives one address the share server.unverified_bodies_per_address_mb sets, up to the whole room', () => {
    const room = new BodyRoom(1000, 100, 900);
    expect(room.share).toBe(900);
    room.hold('192.0.2.1').take(800);
    const refused = room.hold('192.0.2.1').tryTake(200);
    expect(refused?.message).toContain('as one address may have at once, 900 bytes (server.unverified_bodies_per_address_mb) of the 1000 bytes of server.unverified_bodies_mb');
    // The room itself still bounds them all.
    expect(room.hold('192.0.2.2').tryTake(200)).toBeUndefined();
    expect(room.hold('192.0.2.3').tryTake(1)?.message).toContain('as it takes at once');
    expect(new BodyRoom(1000, 100, 2000).share).toBe(1000);
  });

  it('forgets an address once it holds nothing', () => {
    const room = new BodyRoom(1000);
    const h = room.hold('192.0.2.1');
    h.take(100);
    h.release();
    h.release();
    expect(room.heldBy('192.0.2.1')).toBe(0);
    expect(room.held).toBe(0);
    expect((room as unknown as { byClient: Map<string, number> }).byClient.size).toBe(0);
  });
});
