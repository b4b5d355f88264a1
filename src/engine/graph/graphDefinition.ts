/**
 * A whole model as a list of ONNX nodes in topological order, before it is cut into
 * sessions. Hook points are Identity nodes whose output carries the hook's name, so the
 * graph can be cut at any set of hooks (see segments.ts) and the hook's value read or
 * replaced between the pieces.
 */

export type ElemType = 'float' | 'int64' | 'bool';

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'string'; value: string };

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
  domain?: string;
}

/** A small constant embedded in every segment that uses it (shapes, axes, scalars). */
export interface GraphConstant {
  type: ElemType;
  dims: number[];
  values: number[];
}

/** How a hook's flat internal tensor is presented: its dims for a batch of `batch` sequences of `pos` tokens. */
export type HookDims = (batch: number, pos: number) => number[];

export interface HookPoint {
  name: string;
  /** Index of the hook's Identity node in `nodes`. */
  node: number;
  dims: HookDims;
}

export interface GraphDefinition {
  nodes: GraphNode[];
  types: Map<string, ElemType>;
  constants: Map<string, GraphConstant>;
  /** Inputs the runtime feeds on every run (token ids, positions, mask, shape). */
  runtimeInputs: string[];
  /** Weight tensors, fed from the checkpoint, by name. */
  weights: Set<string>;
  hooks: Map<string, HookPoint>;
  /** Hook names in the order the forward pass reaches them. */
  hookOrder: string[];
  /** The final output (logits) and how to present it. */
  output: { name: string; dims: HookDims };
}

export const int = (value: number): AttributeValue => ({ kind: 'int', value });
export const float = (value: number): AttributeValue => ({ kind: 'float', value });
export const ints = (value: number[]): AttributeValue => ({ kind: 'ints', value });
export const string = (value: string): AttributeValue => ({ kind: 'string', value });

/** Appends nodes in order, naming intermediate values, and records hook points. */
export class GraphBuilder {
  private readonly graph: GraphDefinition = {
    nodes: [],
    types: new Map(),
    constants: new Map(),
    runtimeInputs: [],
    weights: new Set(),
    hooks: new Map(),
    hookOrder: [],
    output: { name: '', dims: () => [] },
  };
  private counter = 0;

  runtimeInput(name: string, type: ElemType): string {
    this.graph.runtimeInputs.push(name);
    this.graph.types.set(name, type);
    return name;
  }

  weight(name: string): string {
    this.graph.weights.add(name);
    this.graph.types.set(name, 'float');
    return name;
  }

  constant(type: ElemType, dims: number[], values: number[]): string {
    const name = `const_${type}_${dims.join('x')}_${values.join('_').replaceAll('-', 'm').replaceAll('.', 'p')}`;
    if (!this.graph.constants.has(name)) {
      this.graph.constants.set(name, { type, dims, values });
      this.graph.types.set(name, type);
    }
    return name;
  }

  /** Adds one node with a single output and returns the output's name. */
  op(op: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, type: ElemType = 'float'): string {
    return this.opMulti(op, inputs, 1, attributes, type)[0];
  }

  /** A node with several outputs; `type` is one type for all or one per output (TopK: float, int64). */
  opMulti(op: string, inputs: string[], outputCount: number, attributes: Record<string, AttributeValue> = {}, type: ElemType | ElemType[] = 'float'): string[] {
    const outputs = Array.from({ length: outputCount }, () => `t${this.counter++}_${op}`);
    outputs.forEach((output, i) => this.graph.types.set(output, Array.isArray(type) ? type[i] : type));
    this.graph.nodes.push({ op, inputs, outputs, attributes });
    return outputs;
  }

  /** Marks `value` as the hook point `name`; downstream nodes must use the returned name. */
  hook(name: string, value: string, dims: HookDims): string {
    if (this.graph.hooks.has(name)) throw new Error(`hook ${name} defined twice`);
    this.graph.nodes.push({ op: 'Identity', inputs: [value], outputs: [name], attributes: {} });
    this.graph.types.set(name, this.graph.types.get(value) ?? 'float');
    this.graph.hooks.set(name, { name, node: this.graph.nodes.length - 1, dims });
    this.graph.hookOrder.push(name);
    return name;
  }

  /** For graphs that are not models (SAE encoders): each named output is a hook point the runner can fetch. */
  finishWithOutputs(outputs: Record<string, string>): GraphDefinition {
    const names = Object.entries(outputs).map(([name, value]) => this.hook(name, value, () => []));
    return this.finish(names[0], () => []);
  }

  finish(output: string, dims: HookDims): GraphDefinition {
    this.graph.output = { name: output, dims };
    return this.graph;
  }
}
