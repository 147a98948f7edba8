import 'reflect-metadata';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SocketApiModule, type BroadcastOptions } from '../../lib/index.js';
import { describeWithNetns, NetworkNamespace } from '../support/netns.js';
import { httpAdapter, PLATFORMS } from '../support/platforms.js';
import { FeedService } from './scale-app.js';

/**
 * `allowedHosts` exercised for real, on any machine: the app serves on a socket opened in a network
 * namespace of the test's own, and requests come from documentation addresses (192.0.2.0/24,
 * 2001:db8::/32) on that namespace's loopback interface. To the server they are ordinary remote
 * addresses, not loopback; nothing leaves the namespace.
 */
describeWithNetns('the HTTP bridge’s allowedHosts, from real non-loopback addresses', () => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    const server = '192.0.2.1';
    const listed = '192.0.2.2';
    const unlisted = '192.0.2.3';
    /** `192.0.2.1` is a prefix of its text. */
    const prefixed = '192.0.2.12';
    let namespace: NetworkNamespace;
    const apps: INestApplication[] = [];

    beforeAll(async () => {
      namespace = await NetworkNamespace.create([
        `${server}/32`,
        `${listed}/32`,
        `${unlisted}/32`,
        `${prefixed}/32`,
        '2001:db8::1/128',
        '2001:db8::2/128',
      ]);
    });

    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });

    afterAll(async () => {
      await namespace?.close();
    });

    /** An app with the bridge, serving on `host` inside the namespace; its port. */
    async function bridge(host: string, broadcast: BroadcastOptions): Promise<number> {
      const moduleRef = await Test.createTestingModule({
        imports: [SocketApiModule.forRoot({ broadcast, heartbeat: false })],
        providers: [FeedService],
      }).compile();
      const app = moduleRef.createNestApplication(httpAdapter(platform), { logger: false });
      apps.push(app);
      await app.init();
      const { handle, port } = await namespace.listen(host);
      await new Promise<void>((resolve) => (app.getHttpServer() as Server).listen(handle, resolve));
      return port;
    }

    const body = JSON.stringify({ channel: 'news', data: { title: 'from afar' } });
    const json = { 'content-type': 'application/json' };
    const refused = { status: 403, body: { error: 'Broadcast endpoint can only be accessed locally.' } };
    const published = { status: 200, body: { status: 'success' } };

    it('refuses every remote address when none is listed', async () => {
      const port = await bridge(server, {});
      for (const from of [listed, unlisted, server]) {
        expect(await namespace.post(from, { host: server, port, path: '/_broadcast' }, json, body)).toEqual(refused);
      }
    });

    it('lets in a listed address, and only it: not another, not one whose text starts with it', async () => {
      const port = await bridge(server, { allowedHosts: [listed, '192.0.2.1'] });
      const to = { host: server, port, path: '/_broadcast' };
      expect(await namespace.post(listed, to, json, body)).toEqual(published);
      expect(await namespace.post(server, to, json, body)).toEqual(published);
      expect(await namespace.post(unlisted, to, json, body)).toEqual(refused);
      expect(await namespace.post(prefixed, to, json, body)).toEqual(refused);
    });

    it('lets in a CIDR range', async () => {
      const port = await bridge(server, { allowedHosts: ['192.0.2.0/30'] });
      const to = { host: server, port, path: '/_broadcast' };
      expect(await namespace.post(listed, to, json, body)).toEqual(published);
      expect(await namespace.post(unlisted, to, json, body)).toEqual(published);
      expect(await namespace.post(prefixed, to, json, body)).toEqual(refused);
    });

    it('over IPv6 as well', async () => {
      const port = await bridge('2001:db8::1', { allowedHosts: ['2001:db8::1'] });
      const to = { host: '2001:db8::1', port, path: '/_broadcast' };
      expect(await namespace.post('2001:db8::1', to, json, body)).toEqual(published);
      expect(await namespace.post('2001:db8::2', to, json, body)).toEqual(refused);
    });

    it('a listed address still needs the token and JSON', async () => {
      const port = await bridge(server, { allowedHosts: [listed], token: 't0ken' });
      const to = { host: server, port, path: '/_broadcast' };
      expect((await namespace.post(listed, to, json, body)).status).toBe(401);
      expect(
        (await namespace.post(listed, to, { authorization: 'Bearer t0ken', 'content-type': 'text/plain' }, body))
          .status,
      ).toBe(415);
      expect(await namespace.post(listed, to, { ...json, authorization: 'Bearer t0ken' }, body)).toEqual(published);
    });
  });
});
