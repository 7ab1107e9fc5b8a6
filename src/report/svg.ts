/**
 * Vega-Lite specs rendered to SVG headless (vega's SVG renderer needs no DOM or canvas).
 * All of snnc's charts go through here.
 */
import type { TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

/**
 * `idPrefix` names the SVG's element ids (vega numbers its clip paths with a counter that
 * lives as long as the process): the same chart gives the same bytes whatever was rendered
 * before it, and several charts inlined in one HTML page keep distinct ids.
 */
export async function renderSvg(spec: ChartSpec, idPrefix = 'chart'): Promise<string> {
  // Loaded on first use: importing vega takes most of a second, which every snnc command
  // (and every error exit) would otherwise pay at startup.
  const [{ compile }, { parse, View }] = await Promise.all([import('vega-lite'), import('vega')]);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return renumberIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}

function renumberIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\bid="([^"]+)"/g)) if (!ids.has(m[1]!)) ids.set(m[1]!, `${prefix}-${ids.size + 1}`);
  return svg.replace(/\bid="([^"]+)"|url\(#([^)]+)\)/g, (all, id: string | undefined, ref: string | undefined) => {
    if (id !== undefined) return `id="${ids.get(id)}"`;
    const to = ids.get(ref!);
    return to === undefined ? all : `url(#${to})`;
  });
}
