/**
 * The layers of lib/, bottom to top (docs/architecture.md draws them): each is a set of folders. A
 * file may import files of its own layer and of the layers below it, never above: so the layers
 * point one way, and a change at the top cannot break the bottom. Run by `npm run lint:deps` (and
 * so by `npm test`).
 */

const layers = [
  {
    name: 'contracts',
    doc: 'the wire protocol, the public types and the public connection: what everything else speaks',
    path: ['^lib/(protocol|interfaces|connection)/', '^lib/socket-api\\.constants\\.ts$'],
  },
  {
    name: 'support',
    doc: 'stateless tools: logging, network, validation, JSON Schema from DTOs, options, decorators (metadata only), optional peers',
    path: [
      '^lib/(logging|network|validation|schema|options|decorators|packaging)/',
      '^lib/socket-api\\.module-definition\\.ts$',
    ],
  },
  {
    name: 'services',
    doc: 'channels and subscriptions, brokers, authenticators, metrics, readiness and its probes: state that knows no connection implementation',
    path: ['^lib/(channels|broker|auth|metrics|health)/'],
  },
  {
    name: 'handlers',
    doc: 'the compiled handlers (binders, enhancer chains, hooks), the registry of actions and channels, and the spans around handlers',
    path: ['^lib/(handlers|registry|tracing)/'],
  },
  {
    name: 'entry points',
    doc: 'what starts work: the socket server (gateway), discovery at startup, the HTTP bridge, the generated docs',
    path: ['^lib/(gateway|discovery|broadcast|docs)/'],
  },
  {
    name: 'contract',
    doc: 'the typed-client contract: TypeScript types and a hash, read from the generated docs (docs/)',
    path: ['^lib/contract/'],
  },
  {
    name: 'module',
    doc: 'the Nest module that wires it all, and the package root',
    path: ['^lib/socket-api\\.module\\.ts$', '^lib/index\\.ts$'],
  },
];

const layerRules = layers.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer.name}`,
  comment: `${layer.name} (${layer.doc}) may import only its own layer and the layers below it`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: layers.slice(index + 1).flatMap((above) => above.path) },
}));

// The entry points are siblings: each starts its own kind of work and none calls another.
const entryPoints = ['gateway', 'discovery', 'broadcast', 'docs'];
const siblingRules = entryPoints.map((folder) => ({
  name: `entry-point-${folder}-alone`,
  comment: `${folder}/ is an entry point: it does not import the other entry points`,
  severity: 'error',
  from: { path: `^lib/${folder}/` },
  to: { path: `^lib/(${entryPoints.filter((other) => other !== folder).join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'import cycles (type-only ones too) make layers meaningless and load order fragile',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-between-folders',
      comment: 'two folders importing each other are one tangle: each folder is one concept of one layer',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'a file nothing imports is dead code (the package root is the one entry)',
      severity: 'error',
      // The package's entries: its root, the `nestjs-socketapi-contract` command (package.json `bin`) and
      // `nestjs-socketapi/testing`.
      from: {
        orphan: true,
        pathNot: ['^lib/index\\.ts$', '^lib/contract/contract-cli\\.ts$', '^testing/index\\.ts$', '\\.d\\.ts$'],
      },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve would make the other rules blind to it',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'connection-implementation-in-gateway-only',
      comment:
        "WsConnection (queue, timers, frame senders) is the gateway layer's own: everything else, " +
        'the package root included, sees the public SocketConnection (lib/connection/)',
      severity: 'error',
      from: { pathNot: '^lib/gateway/' },
      to: { path: '^lib/gateway/ws-connection\\.ts$' },
    },
    {
      name: 'public-channel-type-only-in-package-root',
      comment: 'the package root exports the public Channel (lib/channels/channel.ts), never its implementation',
      severity: 'error',
      from: { path: '^lib/index\\.ts$' },
      to: { path: '^lib/channels/fan-out-channel\\.ts$' },
    },
    {
      name: 'every-file-in-a-layer',
      comment: 'a file outside every layer would escape the layer rules: add its folder to a layer',
      severity: 'error',
      from: { path: '^lib/', pathNot: layers.flatMap((layer) => layer.path) },
      to: {},
    },
    {
      name: 'library-not-to-testing-kit',
      comment:
        'nestjs-socketapi/testing sits on top of the library: nothing in lib/ imports it or the client it bundles',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(testing|client)/' },
    },
    {
      name: 'testing-kit-through-public-api',
      comment:
        'the testing kit uses the library as apps do, through its package root (bundled as an import of ' +
        "'nestjs-socketapi', the app's own copy)",
      severity: 'error',
      from: { path: '^testing/' },
      to: { path: '^lib/', pathNot: '^lib/index\\.ts$' },
    },
    ...layerRules,
    ...siblingRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: the cycle issue 9 found was one.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
