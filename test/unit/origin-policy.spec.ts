import { originPolicy, originRefusedHint } from '../../lib/network/origin-policy.js';

describe('originPolicy: the default (same host as the request)', () => {
  const allowed = originPolicy(undefined);

  it('passes a page of the same host and port, and clients that send no Origin', () => {
    expect(allowed('http://localhost:3000', 'localhost:3000')).toBe(true);
    expect(allowed('http://127.0.0.1:3000', '127.0.0.1:3000')).toBe(true);
    expect(allowed('http://[::1]:3000', '[::1]:3000')).toBe(true);
    expect(allowed('HTTP://LocalHost:3000', 'LOCALHOST:3000')).toBe(true);
    expect(allowed(undefined, 'localhost:3000')).toBe(true);
    expect(allowed(undefined, undefined)).toBe(true);
  });

  it('refuses another port, another host, a host that only starts or ends the same', () => {
    expect(allowed('http://localhost:5173', 'localhost:3000')).toBe(false);
    expect(allowed('http://evil.example', 'localhost:3000')).toBe(false);
    expect(allowed('http://localhost:30000', 'localhost:3000')).toBe(false);
    expect(allowed('http://localhost.evil.example:3000', 'localhost:3000')).toBe(false);
    expect(allowed('http://[::1]:3000', '127.0.0.1:3000')).toBe(false);
  });

  it('a default port may be written on either side, but only the default port of the Origin’s scheme', () => {
    expect(allowed('https://example.com', 'example.com')).toBe(true);
    expect(allowed('https://example.com', 'example.com:443')).toBe(true);
    expect(allowed('https://example.com:443', 'example.com')).toBe(true);
    expect(allowed('http://example.com', 'example.com:80')).toBe(true);
    expect(allowed('http://example.com', 'example.com:443')).toBe(false);
    expect(allowed('https://example.com', 'example.com:80')).toBe(false);
    expect(allowed('https://[::1]', '[::1]')).toBe(true);
    expect(allowed('https://[::1]', '[::1]:443')).toBe(true);
  });

  it('refuses Origin: null (sandboxed frames, file:// pages), non-URLs, other schemes, no Host', () => {
    expect(allowed('null', 'localhost:3000')).toBe(false);
    expect(allowed('', 'localhost:3000')).toBe(false);
    expect(allowed('localhost:3000', 'localhost:3000')).toBe(false);
    expect(allowed('file://localhost:3000', 'localhost:3000')).toBe(false);
    expect(allowed('chrome-extension://abc', 'abc')).toBe(false);
    expect(allowed('http://localhost:3000', undefined)).toBe(false);
    expect(allowed('http://localhost:3000', '')).toBe(false);
  });
});

describe('originPolicy: allowedOrigins', () => {
  it('listed origins pass besides the same host; others are still refused', () => {
    const allowed = originPolicy(['http://localhost:5173', /^https:\/\/[a-z]+\.example\.org$/]);
    expect(allowed('http://localhost:5173', 'localhost:3000')).toBe(true);
    expect(allowed('HTTP://LOCALHOST:5173', 'localhost:3000')).toBe(true);
    expect(allowed('https://app.example.org', 'localhost:3000')).toBe(true);
    expect(allowed('http://localhost:3000', 'localhost:3000')).toBe(true);
    expect(allowed('http://localhost:5174', 'localhost:3000')).toBe(false);
    expect(allowed('https://app.example.org.evil.net', 'localhost:3000')).toBe(false);
    expect(allowed('null', 'localhost:3000')).toBe(false);
  });

  it('a RegExp with the g or y flag gives the same answer every time (RegExp.test would alternate)', () => {
    const global = /^http:\/\/localhost:5173$/g;
    const sticky = /^http:\/\/localhost:5173$/y;
    const allowed = originPolicy([global, sticky]);
    const answers = Array.from({ length: 6 }, () => allowed('http://localhost:5173', 'localhost:3000'));
    expect(answers).toEqual([true, true, true, true, true, true]);
    const other = originPolicy([/^http:\/\/localhost:5173$/gi]);
    expect(Array.from({ length: 4 }, () => other('HTTP://LOCALHOST:5173', 'x'))).toEqual([true, true, true, true]);
    expect(global.lastIndex).toBe(0); // the user's RegExp is not used (nor its state changed)
  });

  it("'*' lets every origin in, null included", () => {
    const allowed = originPolicy('*');
    expect(allowed('http://evil.example', 'localhost:3000')).toBe(true);
    expect(allowed('null', 'localhost:3000')).toBe(true);
    expect(allowed(undefined, undefined)).toBe(true);
  });

  it('a function decides alone, also for requests without Origin; only `true` allows', () => {
    const seen: (string | undefined)[] = [];
    const allowed = originPolicy((origin) => (seen.push(origin), origin === 'https://only.example'));
    expect(allowed('https://only.example', 'x')).toBe(true);
    expect(allowed('http://localhost:3000', 'localhost:3000')).toBe(false);
    expect(allowed(undefined, 'x')).toBe(false);
    expect(seen).toEqual(['https://only.example', 'http://localhost:3000', undefined]);
    expect(originPolicy(() => 1 as unknown as boolean)('https://a.example', 'x')).toBe(false);
  });

  it('an empty list is the default', () => {
    const allowed = originPolicy([]);
    expect(allowed('http://localhost:3000', 'localhost:3000')).toBe(true);
    expect(allowed('http://localhost:5173', 'localhost:3000')).toBe(false);
  });
});

describe('originRefusedHint', () => {
  it('names the origin to add to allowedOrigins', () => {
    expect(originRefusedHint('http://localhost:5173', 'localhost:3000')).toBe(
      'Refused a WebSocket upgrade from Origin "http://localhost:5173" (request Host "localhost:3000"): ' +
        "if that page is yours (a dev server, a frontend on another host), add 'http://localhost:5173' to allowedOrigins.",
    );
  });

  it('quotes what the client sent, shortened, and says when only a function can allow it', () => {
    const hint = originRefusedHint(`null\u001b[31m${'x'.repeat(500)}`, undefined);
    expect(hint).toContain('"null\\u001b[31m');
    expect(hint).not.toContain('\u001b');
    expect(hint.length).toBeLessThan(400);
    expect(hint).toContain('only a function in allowedOrigins');
    expect(originRefusedHint('null', 'h')).toContain('only a function in allowedOrigins');
  });
});
