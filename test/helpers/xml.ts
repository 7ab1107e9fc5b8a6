/**
 * Parses XML with an independent, strict parser (Python's ElementTree over expat): a file
 * that is not well-formed XML throws. Returns the element tree as plain objects.
 */
import { spawnSync } from 'node:child_process';

export interface XmlElement {
  /** Local name, without the namespace. */
  tag: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlElement[];
}

const SCRIPT = `
import json, sys, xml.etree.ElementTree as ET
def conv(e):
    return {"tag": e.tag.split("}")[-1], "attrs": {k.split("}")[-1]: v for k, v in e.attrib.items()},
            "text": e.text or "", "children": [conv(c) for c in e]}
print(json.dumps(conv(ET.parse(sys.argv[1]).getroot())))
`;

export function parseXmlFile(file: string): XmlElement {
  const r = spawnSync('python3', ['-c', SCRIPT, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`not well-formed XML: ${file}: ${r.stderr.trim().split('\n').pop()}`);
  return JSON.parse(r.stdout) as XmlElement;
}

/** All elements of the tree (depth first) that satisfy `pred`. */
export function findAll(root: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const visit = (e: XmlElement) => {
    if (pred(e)) out.push(e);
    e.children.forEach(visit);
  };
  visit(root);
  return out;
}
