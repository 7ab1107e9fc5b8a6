/**
 * Import rules of snnc, derived from the layer order in layers.json (the only place it is
 * written): no import cycles, no import from a layer to a later one, no module outside the
 * layers, and the npm packages listed there imported by their layers only. Run by
 * test/architecture.test.ts; by hand: npx depcruise src
 */
const { layers, packages, exceptions } = require('./layers.json');

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Path pattern of a layer: one file (errors.ts) or a folder under src/. */
const pathOf = (layer) => (layer.endsWith('.ts') ? `^src/${escape(layer)}$` : `^src/${escape(layer)}/`);
const nameOf = (layer) => layer.replace(/\.ts$/, '');

const upward = layers.slice(0, -1).map((layer, i) => ({
  name: `layer-${nameOf(layer)}`,
  comment: `${nameOf(layer)} may import ${layers.slice(0, i + 1).map(nameOf).join(', ')} only (layers.json)`,
  severity: 'error',
  from: { path: pathOf(layer) },
  to: { path: layers.slice(i + 1).map(pathOf) },
}));

const packageRules = Object.entries(packages).map(([pkg, owners]) => ({
  name: `package-${pkg}`,
  comment: `${pkg} is imported by ${owners.join(', ')} only (layers.json)`,
  severity: 'error',
  from: { pathNot: owners.map(pathOf) },
  to: { path: `(^|/)node_modules/${escape(pkg)}/` },
}));

/** layers.json's exceptions as dependency-cruiser's known violations (reported as 'ignore'). */
const knownViolations = exceptions.map((e) =>
  e.rule === 'no-circular'
    ? { type: 'cycle', from: e.modules[0], to: e.modules[1], rule: { severity: 'error', name: e.rule }, cycle: e.modules.map((name) => ({ name, dependencyTypes: [] })) }
    : { type: 'dependency', from: e.modules[0], to: e.modules[1], rule: { severity: 'error', name: e.rule } },
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle makes two modules one: merge them or move what both need below them',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    ...packageRules,
    {
      name: 'outside-layers',
      comment: 'every module under src/ belongs to a layer listed in layers.json',
      severity: 'error',
      from: { path: '^src/', pathNot: layers.map(pathOf) },
      to: {},
    },
    {
      name: 'into-outside-layers',
      comment: 'every module under src/ belongs to a layer listed in layers.json',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: layers.map(pathOf) },
    },
  ],
  options: {
    // Type-only imports count: a record imported from a higher layer is a dependency on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    knownViolations,
  },
};
