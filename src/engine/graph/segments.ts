import type { GraphDefinition, GraphNode } from './graphDefinition';

/**
 * Cutting a GraphDefinition at a set of hooks. Segment k runs the nodes between cut k-1
 * and cut k; a cut hook's Identity node is left out, so the runtime receives the hook's
 * input (`pre`) from one segment and hands the next segment the (possibly edited) value
 * under the hook's name.
 */

export interface Segment {
  /** A key naming this exact piece of graph and its outputs, for caching its session. */
  key: string;
  nodes: GraphNode[];
  /** Values this segment reads that no node of it produces (runtime inputs, weights, earlier segments, cut hooks). */
  inputs: string[];
  outputs: string[];
}

export interface CutPoint {
  hook: string;
  /** The name of the value flowing into the hook's Identity node. */
  pre: string;
}

export interface SegmentPlan {
  segments: Segment[];
  /** cuts[k] follows segments[k]. */
  cuts: CutPoint[];
}

/**
 * @param cutHooks hooks whose value the runtime must see and may replace before going on
 * @param requested values the caller wants back (cached hooks, logits)
 */
export function planSegments(graph: GraphDefinition, cutHooks: Iterable<string>, requestedValues: Iterable<string>): SegmentPlan {
  const requested = [...requestedValues];
  const cutNodes = [...new Set(cutHooks)]
    .map((hook) => {
      const point = graph.hooks.get(hook);
      if (!point) throw new Error(`unknown hook ${hook}`);
      return point.node;
    })
    .sort((a, b) => a - b);
  const cuts: CutPoint[] = cutNodes.map((index) => ({ hook: graph.nodes[index].outputs[0], pre: graph.nodes[index].inputs[0] }));

  const ranges: [number, number][] = [];
  let start = 0;
  for (const index of cutNodes) {
    ranges.push([start, index]);
    start = index + 1;
  }
  ranges.push([start, graph.nodes.length]);

  const live = liveNodes(graph, [...requested, ...cuts.map((cut) => cut.pre)]);
  const producedIn = new Map<string, number>();
  ranges.forEach(([from, to], s) => {
    for (let i = from; i < to; i++) if (live[i]) for (const output of graph.nodes[i].outputs) producedIn.set(output, s);
  });

  // A value leaves its segment when a later segment reads it, a cut hands it to the runtime, or the caller asked for it.
  const leaves = new Set<string>([...requested, ...cuts.map((cut) => cut.pre)]);
  const inputsOf = ranges.map(([from, to], s) => {
    const inputs = new Set<string>();
    for (let i = from; i < to; i++) {
      if (!live[i]) continue;
      for (const input of graph.nodes[i].inputs) {
        if (input === '' || graph.constants.has(input) || producedIn.get(input) === s) continue;
        inputs.add(input);
        leaves.add(input);
      }
    }
    return [...inputs];
  });

  const segments = ranges.map(([from, to], s) => {
    const nodes = graph.nodes.slice(from, to).filter((_, i) => live[from + i]);
    const outputs = nodes.flatMap((node) => node.outputs).filter((name) => leaves.has(name) && producedIn.get(name) === s);
    const inputs = inputsOf[s];
    return { key: `${from}-${to}:${[...outputs].sort().join(',')}`, nodes, inputs, outputs };
  });
  return { segments, cuts };
}

/** Nodes that contribute to a requested value (a backward pass); the rest are left out of every segment. */
function liveNodes(graph: GraphDefinition, requested: Iterable<string>): boolean[] {
  const needed = new Set(requested);
  const live = new Array<boolean>(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node.outputs.some((output) => needed.has(output))) continue;
    live[i] = true;
    for (const input of node.inputs) needed.add(input);
  }
  return live;
}
