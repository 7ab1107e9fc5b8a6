/**
 * Vega-Lite specs rendered to SVG headless (vega's SVG renderer needs no DOM or canvas).
 * All of snnc's charts go through here.
 */
import { compile, type TopLevelSpec } from 'vega-lite';
import { parse, View } from 'vega';

export type ChartSpec = TopLevelSpec;

export async function renderSvg(spec: ChartSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
